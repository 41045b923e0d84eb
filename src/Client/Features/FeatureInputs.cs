namespace OrleansHub.Client.Features;

/// <summary>How song labels are derived.</summary>
internal enum LabelSource
{
    /// <summary>The name of the folder that holds the file.</summary>
    ParentFolder,

    /// <summary>No labels.</summary>
    None,
}

/// <summary>One audio file to analyse, with its id and labels.</summary>
/// <param name="Path">File path as found.</param>
/// <param name="Id">Path relative to its input root, without extension, '/' separators.</param>
/// <param name="Labels">Labels for the features line.</param>
internal sealed record FeatureInput(string Path, string Id, IReadOnlyList<string> Labels);

/// <summary>An input argument that yielded nothing, or a file that cannot be given an id.</summary>
/// <param name="Path">The argument or file.</param>
/// <param name="Reason">Why.</param>
internal sealed record InputProblem(string Path, string Reason);

/// <summary>Expands the command's file and folder arguments into the ordered list of files.</summary>
internal static class FeatureInputs
{
    /// <summary>Extensions picked up when walking folders (explicitly named files are always tried).</summary>
    public static readonly IReadOnlySet<string> AudioExtensions = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        ".wav", ".wave", ".mp3", ".ogg", ".oga", ".opus", ".flac", ".m4a", ".mp4", ".aac", ".wma",
        ".aif", ".aiff", ".aifc", ".au", ".mka", ".webm", ".ape", ".wv", ".mpc", ".it", ".xm", ".s3m", ".mod",
    };

    /// <summary>
    /// Files in argument order; inside a folder, recursively in ordinal path order. A folder's
    /// files get ids relative to the folder; a named file gets its own name as id.
    /// </summary>
    public static (List<FeatureInput> Inputs, List<InputProblem> Problems) Collect(IEnumerable<string> arguments, LabelSource labels)
    {
        var inputs = new List<FeatureInput>();
        var problems = new List<InputProblem>();
        var ids = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var argument in arguments)
        {
            if (Directory.Exists(argument))
            {
                var root = Path.GetFullPath(argument);
                var files = Directory.EnumerateFiles(root, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.Hidden | FileAttributes.System })
                    .Where(f => AudioExtensions.Contains(Path.GetExtension(f)))
                    .Order(StringComparer.Ordinal)
                    .ToList();
                if (files.Count == 0)
                {
                    problems.Add(new InputProblem(argument, "folder contains no audio files (looked for " + string.Join(' ', AudioExtensions.Order(StringComparer.Ordinal)) + ")"));
                    continue;
                }

                foreach (var file in files)
                {
                    Add(file, root, argument);
                }
            }
            else if (File.Exists(argument))
            {
                var full = Path.GetFullPath(argument);
                Add(full, Path.GetDirectoryName(full)!, argument);
            }
            else
            {
                problems.Add(new InputProblem(argument, "no such file or folder"));
            }
        }

        return (inputs, problems);

        void Add(string file, string root, string argument)
        {
            var relative = Path.GetRelativePath(root, file);
            var withoutExtension = Path.Combine(Path.GetDirectoryName(relative) ?? string.Empty, Path.GetFileNameWithoutExtension(relative));
            var id = withoutExtension.Replace(Path.DirectorySeparatorChar, '/');
            var display = argument == file ? file : Path.Combine(argument, relative);
            if (ids.TryGetValue(id, out var previous))
            {
                problems.Add(new InputProblem(display, $"id \"{id}\" is already used by {previous}"));
                return;
            }

            ids.Add(id, display);
            var parent = Path.GetFileName(Path.GetDirectoryName(file));
            IReadOnlyList<string> songLabels = labels == LabelSource.ParentFolder && !string.IsNullOrEmpty(parent) ? [parent] : [];
            inputs.Add(new FeatureInput(display, id, songLabels));
        }
    }
}

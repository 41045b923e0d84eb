namespace OrleansHub.Client.Input;

/// <summary>
/// Genre labels file: CSV lines <c>id,labels</c> with <c>;</c> between labels; a first line
/// <c>id,labels</c> is taken as a header. Ids not in the catalogue are counted and reported.
/// </summary>
internal static class LabelsFile
{
    /// <summary>Reads id → labels. Throws <see cref="InputException"/> naming the line of any malformed row.</summary>
    public static Dictionary<string, HashSet<string>> Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new InputException($"{path}: file not found.");
        }

        var result = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        var number = 0;
        foreach (var raw in File.ReadLines(path))
        {
            number++;
            var line = raw.Trim();
            if (line.Length == 0)
            {
                continue;
            }

            var comma = line.IndexOf(',', StringComparison.Ordinal);
            if (comma <= 0)
            {
                throw new InputException($"{path}:{number}: expected 'id,labels', got '{line}'.");
            }

            var id = line[..comma].Trim().Trim('"');
            var labels = line[(comma + 1)..].Trim().Trim('"');
            if (number == 1 && id.Equals("id", StringComparison.OrdinalIgnoreCase) && labels.Equals("labels", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (!result.TryGetValue(id, out var set))
            {
                set = new HashSet<string>(StringComparer.Ordinal);
                result[id] = set;
            }

            foreach (var label in labels.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                set.Add(label);
            }
        }

        return result;
    }
}

using System.CommandLine;
using OrleansHub.Client.Commands;

namespace OrleansHub.Client;

/// <summary>
/// Composition of the <c>orleanshub</c> commands. Exit codes: 0 success, 1 bad input or a failed
/// operation, 2 usage error (unknown option, missing or contradictory arguments).
/// </summary>
internal static class CommandLine
{
    /// <summary>Exit code of a usage error.</summary>
    public const int UsageError = 2;

    public static RootCommand Build(TextWriter output, TextWriter error)
    {
        var root = new RootCommand("orleanshub: hubness analysis, feature extraction and catalogue tools for audio music similarity.");
        root.Subcommands.Add(AnalyzeCommand.Create(output, error));
        root.Subcommands.Add(FeaturesCommand.Create(output, error));
        root.Subcommands.Add(SynthesizeCommand.Create(output, error));
        root.Subcommands.Add(ReplayCommand.Create(output, error));
        return root;
    }

    public static async Task<int> InvokeAsync(string[] args, TextWriter output, TextWriter error)
    {
        var parse = Build(output, error).Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors)
            {
                await error.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
            }

            return UsageError;
        }

        return await parse.InvokeAsync(new InvocationConfiguration { Output = output, Error = error }).ConfigureAwait(false);
    }
}

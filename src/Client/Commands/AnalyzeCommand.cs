using System.CommandLine;

namespace OrleansHub.Client.Commands;

internal static class AnalyzeCommand
{
    public static Command Create() => new("analyze", "Hubness report of a distance matrix or a features file.");
}

using System.CommandLine;
using OrleansHub.Client.Commands;

var root = new RootCommand("orleanshub: hubness analysis, feature extraction and catalogue tools for audio music similarity.");
root.Subcommands.Add(AnalyzeCommand.Create());
root.Subcommands.Add(FeaturesCommand.Create());

return await root.Parse(args).InvokeAsync().ConfigureAwait(false);

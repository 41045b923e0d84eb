using System.CommandLine;
using System.Globalization;
using OrleansHub.Client.Remote;

namespace OrleansHub.Client.Commands;

/// <summary><c>orleanshub hubness</c>: the catalogue's hubness measures from a silo.</summary>
internal static class HubnessCommand
{
    public static Command Create(TextWriter output, TextWriter error) => Create(output, error, RemoteOptions.Default);

    public static Command Create(TextWriter output, TextWriter error, ClientFactory clients)
    {
        var server = RemoteOptions.Server();
        var apiKey = RemoteOptions.ApiKey();
        var metric = NeighboursCommand.MetricOption();
        var top = new Option<int>("--top") { Description = "Hubs to list (0-1000).", DefaultValueFactory = _ => 10 };
        top.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 0 or > 1000)
            {
                r.AddError("--top must be between 0 and 1000.");
            }
        });

        var command = new Command("hubness", "Print the catalogue's hubness measures (n, k, hubs, anti-hubs, max O^k, skewness, Robin Hood, Gini) and its largest hubs.")
        {
            server, apiKey, metric, top,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var uri = RemoteOptions.ParseServer(parse.GetValue(server))!;
            using var client = clients(uri, RemoteOptions.ResolveApiKey(parse.GetValue(apiKey)));
            return await RemoteOptions.RunAsync(error, uri, async () =>
            {
                var h = await client.GetHubnessAsync(parse.GetValue(metric), cancellationToken).ConfigureAwait(false);
                var lines = new[]
                {
                    $"hubness ({h.Metric}) of {uri}",
                    $"  songs n          {h.N}",
                    $"  k                {h.K}",
                    $"  hubs (O^k >= {h.HubSize * h.K}) {h.Hubs} ({h.HubShare:P2})",
                    $"  anti-hubs        {h.Antihubs} ({h.AntihubShare:P2})",
                    $"  max O^k          {h.MaxOccurrence}",
                    $"  skewness S^k     {h.Skewness:0.0000}",
                    $"  Robin Hood       {h.RobinHood:0.0000}",
                    $"  Gini             {h.Gini:0.0000}",
                };
                foreach (var line in lines)
                {
                    await output.WriteLineAsync(line.ToString(CultureInfo.InvariantCulture)).ConfigureAwait(false);
                }

                var count = parse.GetValue(top);
                if (count > 0 && h.N > 0)
                {
                    var hubs = await client.GetHubsAsync(parse.GetValue(metric), count, cancellationToken).ConfigureAwait(false);
                    await output.WriteLineAsync("  largest O^k:").ConfigureAwait(false);
                    foreach (var hub in hubs)
                    {
                        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"    {hub.Occurrence,5}  {hub.Id}")).ConfigureAwait(false);
                    }
                }

                return 0;
            }).ConfigureAwait(false);
        });
        return command;
    }
}

using System.CommandLine;
using System.Globalization;
using OrleansHub.Client.Remote;

namespace OrleansHub.Client.Commands;

/// <summary><c>orleanshub neighbours ID</c>: a song's nearest neighbours from a silo.</summary>
internal static class NeighboursCommand
{
    public static Command Create(TextWriter output, TextWriter error) => Create(output, error, RemoteOptions.Default);

    public static Command Create(TextWriter output, TextWriter error, ClientFactory clients)
    {
        var id = new Argument<string>("id") { Description = "Song id." };
        var server = RemoteOptions.Server();
        var apiKey = RemoteOptions.ApiKey();
        var metric = MetricOption();
        var k = new Option<int?>("--k") { Description = "Neighbours to show (default: the silo's k)." };
        k.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int?>() is < 1)
            {
                r.AddError("--k must be positive.");
            }
        });

        var command = new Command("neighbours", "Print a song's nearest neighbours (nearest first) under mutual proximity (mp) or the symmetrised KL divergence (skl). Exit 1 when the song is unknown or the server refuses.")
        {
            id, server, apiKey, metric, k,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var uri = RemoteOptions.ParseServer(parse.GetValue(server))!;
            using var client = clients(uri, RemoteOptions.ResolveApiKey(parse.GetValue(apiKey)));
            return await RemoteOptions.RunAsync(error, uri, async () =>
            {
                var answer = await client.GetNeighboursAsync(parse.GetValue(id)!, parse.GetValue(metric), parse.GetValue(k), cancellationToken).ConfigureAwait(false);
                await output.WriteLineAsync($"neighbours of {answer.Id} ({answer.Metric}), nearest first:").ConfigureAwait(false);
                var rank = 0;
                foreach (var n in answer.Neighbours)
                {
                    rank++;
                    var mp = n.MpDistance is { } d ? d.ToString("0.000000", CultureInfo.InvariantCulture) : "-";
                    await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{rank,3}  {n.Id}  distance {n.Distance:0.000000}  skl {n.SklDistance:0.000000}  mp {mp}")).ConfigureAwait(false);
                }

                return 0;
            }).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary><c>--metric mp|skl</c> (default mp).</summary>
    public static Option<string> MetricOption()
    {
        var metric = new Option<string>("--metric") { Description = "mp (mutual proximity) or skl (symmetrised KL).", DefaultValueFactory = _ => "mp" };
        metric.AcceptOnlyFromAmong("mp", "skl");
        return metric;
    }
}

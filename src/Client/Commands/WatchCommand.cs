using System.CommandLine;
using System.Globalization;
using OrleansHub.Client.Remote;

namespace OrleansHub.Client.Commands;

/// <summary><c>orleanshub watch</c>: follows the silo's alert stream, reconnecting and resuming, until Ctrl+C.</summary>
internal static class WatchCommand
{
    public static Command Create(TextWriter output, TextWriter error) => Create(output, error, RemoteOptions.Default);

    public static Command Create(TextWriter output, TextWriter error, ClientFactory clients)
    {
        var server = RemoteOptions.Server();
        var apiKey = RemoteOptions.ApiKey();
        var after = new Option<long>("--after") { Description = "Print alerts after this alert id (0: every stored alert).", DefaultValueFactory = _ => 0 };
        after.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<long>() < 0)
            {
                r.AddError("--after must not be negative.");
            }
        });

        var command = new Command(
            "watch",
            "Print alerts as the silo raises them (one line each: id, type, JSON). When the connection drops, reconnects with back-off " +
            "and resumes after the last alert printed. Stops on Ctrl+C (exit 0); exit 1 when the server refuses the request.")
        {
            server, apiKey, after,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var uri = RemoteOptions.ParseServer(parse.GetValue(server))!;
            using var client = clients(uri, RemoteOptions.ResolveApiKey(parse.GetValue(apiKey)));
            return await RemoteOptions.RunAsync(error, uri, async () =>
            {
                try
                {
                    await error.WriteLineAsync($"watching alerts of {uri} after id {parse.GetValue(after)} (Ctrl+C to stop)").ConfigureAwait(false);
                    var alerts = client.WatchAlertsAsync(
                        parse.GetValue(after),
                        (failure, delay) => error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"watch: connection lost ({failure.Message}); reconnecting in {delay.TotalSeconds:0.0} s")),
                        cancellationToken);
                    await foreach (var alert in alerts.ConfigureAwait(false))
                    {
                        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{alert.Id} {alert.Type} {alert.Alert?.ToJsonString()}")).ConfigureAwait(false);
                        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
                    }
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    // Ctrl+C.
                }

                return 0;
            }).ConfigureAwait(false);
        });
        return command;
    }
}

using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using OrleansHub.Client.Remote;
using Spectre.Console;

namespace OrleansHub.Client.Commands;

/// <summary><c>orleanshub ingest</c>: audio files, folders and features files → the silo, in batches; resumable.</summary>
internal static class IngestCommand
{
    public static Command Create(TextWriter output, TextWriter error) => Create(output, error, RemoteOptions.Default);

    public static Command Create(TextWriter output, TextWriter error, ClientFactory clients)
    {
        var inputs = new Argument<string[]>("inputs")
        {
            Description = "Features files (.jsonl, .ndjson), audio files and folders (walked recursively for audio).",
            Arity = ArgumentArity.OneOrMore,
        };
        var server = RemoteOptions.Server();
        var apiKey = RemoteOptions.ApiKey();
        var batchSize = new Option<int>("--batch-size") { Description = "Songs per POST /api/songs/batch (1-10000).", DefaultValueFactory = _ => 500 };
        var parallel = new Option<int>("--parallel", "-j") { Description = "Batches in flight, and audio files analysed at once (1-64).", DefaultValueFactory = _ => 2 };
        var plain = new Option<bool>("--plain-progress") { Description = "Periodic progress lines instead of a progress bar, even on a terminal." };
        batchSize.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > 10_000)
            {
                r.AddError("--batch-size must be between 1 and 10000.");
            }
        });
        parallel.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > 64)
            {
                r.AddError("--parallel must be between 1 and 64.");
            }
        });

        var command = new Command(
            "ingest",
            "Send songs to a silo in batches. Re-running is safe: songs the server already holds with the same content are skipped. " +
            "Exit codes: 0 every song inserted or skipped, 1 some songs failed (each listed) or the server refused, 2 usage error.")
        {
            inputs, server, apiKey, batchSize, parallel, plain,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var uri = RemoteOptions.ParseServer(parse.GetValue(server))!;
            var key = RemoteOptions.ResolveApiKey(parse.GetValue(apiKey));
            using var client = clients(uri, key);
            return await RemoteOptions.RunAsync(error, uri, async () =>
            {
                var clock = Stopwatch.StartNew();
                var loaded = await IngestInputs.LoadAsync(parse.GetValue(inputs) ?? [], parse.GetValue(parallel), error, cancellationToken).ConfigureAwait(false);
                IngestSummary sent;
                var interactive = !parse.GetValue(plain) && ReferenceEquals(error, Console.Error) && !Console.IsErrorRedirected && !Console.IsOutputRedirected;
                if (interactive && loaded.Songs.Count > 0)
                {
                    var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
                    sent = await console.Progress()
                        .AutoClear(false)
                        .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new Features.SongsPerSecondColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                        .StartAsync(async ctx =>
                        {
                            var task = ctx.AddTask("ingest", maxValue: loaded.Songs.Count);
                            var runner = new IngestRunner(client, parse.GetValue(batchSize), parse.GetValue(parallel), error, new SpectreIngestProgress(task));
                            return await runner.RunAsync(loaded.Songs, cancellationToken).ConfigureAwait(false);
                        }).ConfigureAwait(false);
                }
                else
                {
                    var runner = new IngestRunner(client, parse.GetValue(batchSize), parse.GetValue(parallel), error, new PlainIngestProgress(error, TimeSpan.FromSeconds(2)));
                    sent = await runner.RunAsync(loaded.Songs, cancellationToken).ConfigureAwait(false);
                }

                var failed = sent.Failed + loaded.Failed;
                var seconds = clock.Elapsed.TotalSeconds;
                await output.WriteLineAsync(string.Create(
                    CultureInfo.InvariantCulture,
                    $"ingest: {sent.Inserted} inserted, {sent.Skipped} skipped (already present), {failed} failed, {seconds:0.0} s ({(sent.Inserted + sent.Skipped) / Math.Max(seconds, 1e-9):0.0} songs/s) to {uri}")).ConfigureAwait(false);
                return failed == 0 ? 0 : 1;
            }).ConfigureAwait(false);
        });
        return command;
    }
}

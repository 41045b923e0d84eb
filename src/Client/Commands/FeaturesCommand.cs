using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using OrleansHub.Audio;
using OrleansHub.Client.Features;
using Spectre.Console;

namespace OrleansHub.Client.Commands;

/// <summary><c>orleanshub features</c>: audio files → features JSONL (one MFCC Gaussian per song).</summary>
internal static class FeaturesCommand
{
    /// <summary>Every file succeeded.</summary>
    public const int ExitSuccess = 0;

    /// <summary>Some or all files (or inputs) failed; each is reported with its reason.</summary>
    public const int ExitSomeFailed = 1;

    /// <summary>Usage error: bad options or no input.</summary>
    public const int ExitUsage = 2;

    public static Command Create(TextWriter standardOutput, TextWriter standardError)
    {
        var inputs = new Argument<string[]>("inputs")
        {
            Description = "Audio files and folders (walked recursively for audio extensions).",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var output = new Option<string>("--out", "-o") { Description = "Features JSONL file to write (one line per song, in input order)." };
        var labelFrom = new Option<string>("--label-from")
        {
            Description = "Song label: the name of the file's folder (parent-folder) or none.",
            DefaultValueFactory = _ => "parent-folder",
        };
        // Numbers are parsed here rather than by the parser so that every usage error exits with 2.
        var parallel = new Option<string>("--parallel", "-j") { Description = "Files analysed at once (1-256).", DefaultValueFactory = _ => "2" };
        var timeout = new Option<string>("--decode-timeout") { Description = "Seconds one ffmpeg/ffprobe run may take before it is killed.", DefaultValueFactory = _ => "300" };
        var plain = new Option<bool>("--plain-progress") { Description = "Periodic progress lines instead of a progress bar, even on a terminal." };

        var command = new Command(
            "features",
            "Extract MFCC Gaussians (SPEC §1) from audio files into a features JSONL file. WAV is decoded natively; " +
            "other formats need ffmpeg on PATH. Exit codes: 0 all files succeeded, 1 some or all files failed " +
            "(each listed with its reason), 2 usage error (bad options, no input).");
        command.Arguments.Add(inputs);
        command.Options.Add(output);
        command.Options.Add(labelFrom);
        command.Options.Add(parallel);
        command.Options.Add(timeout);
        command.Options.Add(plain);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var usage = UsageError(parseResult.GetValue(inputs) ?? [], parseResult.GetValue(labelFrom), parseResult.GetValue(parallel), parseResult.GetValue(timeout), out var parallelValue, out var timeoutValue);
            if (usage is not null)
            {
                await standardError.WriteLineAsync("error: " + usage).ConfigureAwait(false);
                return ExitUsage;
            }

            return await RunAsync(
                parseResult.GetValue(inputs) ?? [],
                parseResult.GetValue(output),
                parseResult.GetValue(labelFrom) == "none" ? LabelSource.None : LabelSource.ParentFolder,
                parallelValue,
                timeoutValue,
                parseResult.GetValue(plain),
                standardOutput,
                standardError,
                cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    private static string? UsageError(IReadOnlyList<string> inputs, string? labelFrom, string? parallel, string? timeout, out int parallelValue, out int timeoutValue)
    {
        timeoutValue = 0;
        if (!int.TryParse(parallel, NumberStyles.Integer, CultureInfo.InvariantCulture, out parallelValue))
        {
            return $"--parallel must be a whole number, got '{parallel}'";
        }

        if (!int.TryParse(timeout, NumberStyles.Integer, CultureInfo.InvariantCulture, out timeoutValue))
        {
            return $"--decode-timeout must be a whole number of seconds, got '{timeout}'";
        }

        if (labelFrom is not ("parent-folder" or "none"))
        {
            return $"--label-from must be parent-folder or none, got '{labelFrom}'";
        }

        // An input that looks like an option and is no file or folder is a mistyped option.
        var unknown = inputs.FirstOrDefault(t => t.StartsWith('-') && !File.Exists(t) && !Directory.Exists(t));
        return unknown is null ? null : $"unknown option '{unknown}'";
    }

    private static async Task<int> RunAsync(
        string[] arguments,
        string? outPath,
        LabelSource labels,
        int parallel,
        int timeoutSeconds,
        bool plain,
        TextWriter output,
        TextWriter error,
        CancellationToken cancellationToken)
    {
        if (arguments.Length == 0)
        {
            await error.WriteLineAsync("error: no input files or folders given (usage: orleanshub features <files or folders…> --out feats.jsonl)").ConfigureAwait(false);
            return ExitUsage;
        }

        if (string.IsNullOrWhiteSpace(outPath))
        {
            await error.WriteLineAsync("error: --out FILE is required").ConfigureAwait(false);
            return ExitUsage;
        }

        if (parallel is < 1 or > 256)
        {
            await error.WriteLineAsync($"error: --parallel must be between 1 and 256, got {parallel}").ConfigureAwait(false);
            return ExitUsage;
        }

        if (timeoutSeconds < 1)
        {
            await error.WriteLineAsync($"error: --decode-timeout must be at least 1 second, got {timeoutSeconds}").ConfigureAwait(false);
            return ExitUsage;
        }

        var (files, problems) = FeatureInputs.Collect(arguments, labels);
        foreach (var p in problems)
        {
            await error.WriteLineAsync($"failed: {p.Path}: {p.Reason}").ConfigureAwait(false);
        }

        var ffmpeg = FfmpegDecoder.FromPath(TimeSpan.FromSeconds(timeoutSeconds));
        if (ffmpeg is null)
        {
            await error.WriteLineAsync("warning: ffmpeg not found on PATH; only WAV files can be decoded (install ffmpeg for MP3, Ogg, FLAC, Opus, M4A, …)").ConfigureAwait(false);
        }

        var runner = new FeatureExtractionRunner(new AudioFileAnalyzer(ffmpeg), parallel);
        var clock = Stopwatch.StartNew();
        IReadOnlyList<FeatureOutcome> outcomes;
        try
        {
            var directory = Path.GetDirectoryName(Path.GetFullPath(outPath));
            if (directory is not null)
            {
                Directory.CreateDirectory(directory);
            }

            await using var writer = new StreamWriter(outPath, append: false, new UTF8Encoding(false));
            var interactive = !plain && ReferenceEquals(error, Console.Error) && !Console.IsErrorRedirected && !Console.IsOutputRedirected;
            if (interactive && files.Count > 0)
            {
                var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
                outcomes = await console.Progress()
                    .AutoClear(false)
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new SongsPerSecondColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                    .StartAsync(async ctx =>
                    {
                        var task = ctx.AddTask("features", maxValue: files.Count);
                        return await runner.RunAsync(files, writer, new SpectreFeatureProgress(task), cancellationToken).ConfigureAwait(false);
                    }).ConfigureAwait(false);
                foreach (var o in outcomes)
                {
                    if (o.Error is not null)
                    {
                        await error.WriteLineAsync($"failed: {o.Input.Path}: {o.Error}").ConfigureAwait(false);
                    }

                    foreach (var w in o.Warnings)
                    {
                        await error.WriteLineAsync($"warning: {o.Input.Path}: {w}").ConfigureAwait(false);
                    }
                }
            }
            else
            {
                outcomes = await runner.RunAsync(files, writer, new PlainFeatureProgress(error, TimeSpan.FromSeconds(5)), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            await error.WriteLineAsync($"error: cannot write {outPath}: {ex.Message}").ConfigureAwait(false);
            return ExitSomeFailed;
        }

        var succeeded = outcomes.Count(o => o.Features is not null);
        var failed = outcomes.Count - succeeded + problems.Count;
        var seconds = clock.Elapsed.TotalSeconds;
        await output.WriteLineAsync(string.Create(
            CultureInfo.InvariantCulture,
            $"features: {succeeded} songs written to {outPath}, {failed} failed, {seconds:0.0} s ({succeeded / Math.Max(seconds, 1e-9):0.00} songs/s, parallel {parallel})")).ConfigureAwait(false);
        return failed == 0 ? ExitSuccess : ExitSomeFailed;
    }
}

using System.CommandLine;
using OrleansHub.Client.Analyze;
using OrleansHub.Client.Replay;
using OrleansHub.Grains.Engine;

namespace OrleansHub.Client.Commands;

/// <summary><c>orleanshub replay</c>: streams a catalogue through the engine and checks it against exact recomputations.</summary>
internal static class ReplayCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var defaults = new EngineOptions();
        var features = new Option<FileInfo?>("--features") { Description = "Features JSONL to insert in file order." };
        var synthetic = new Option<int?>("--synthetic") { Description = "Insert N seeded synthetic MFCC Gaussians instead (model: SyntheticCatalogue)." };
        var seed = new Option<ulong>("--seed") { Description = "Seed of --synthetic.", DefaultValueFactory = _ => 1UL };
        var k = new Option<int>("--k") { Description = "Neighbours per list.", DefaultValueFactory = _ => defaults.K };
        var candidates = new Option<int>("--candidates") { Description = "m: MP candidate buffer per song.", DefaultValueFactory = _ => defaults.Candidates };
        var quantiles = new Option<int>("--quantiles") { Description = "Q: knots per distance sketch.", DefaultValueFactory = _ => defaults.Quantiles };
        var tail = new Option<int>("--tail") { Description = "L: exact nearest distances kept per song.", DefaultValueFactory = _ => defaults.Tail };
        var staleness = new Option<int>("--staleness") { Description = "R: every MP list is re-ranked at least once every R insertions.", DefaultValueFactory = _ => defaults.Staleness };
        var minRefresh = new Option<int>("--min-refresh") { Description = "At least this many MP lists re-ranked per insertion (keeps small catalogues fresh).", DefaultValueFactory = _ => defaults.MinRefresh };
        var checkEvery = new Option<int>("--check-every") { Description = $"Exact from-scratch check every C insertions and at the end (0: none; skipped above {ExactCheck.MaxSongs} songs).", DefaultValueFactory = _ => 1000 };
        var sampledCheck = new Option<int>("--sampled-check") { Description = "At the end, check S sampled songs' SKL and MP lists exactly against the whole catalogue (any size; O(n²) kernel work: minutes at 100,000 songs). 0: off.", DefaultValueFactory = _ => 0 };
        var batch = new Option<int>("--batch") { Description = "Insert in batches of B songs (many-vs-many kernel; same state as one by one).", DefaultValueFactory = _ => 1 };
        var threads = new Option<int>("--threads") { Description = "Engine threads (-1: all cores). Results do not depend on it.", DefaultValueFactory = _ => -1 };
        var dump = new Option<FileInfo?>("--dump-lists") { Description = "Write {\"ids\", \"skl\", \"mp\"} of the final state as JSON." };
        var resume = new Option<FileInfo?>("--resume") { Description = "Restore the engine from this snapshot (its own settings apply) and insert only the songs after those it holds." };
        var save = new Option<FileInfo?>("--save-snapshot") { Description = "Write the final engine snapshot to this file." };
        var format = new Option<OutputFormat>("--format") { Description = "table or json.", DefaultValueFactory = _ => OutputFormat.Table };

        var command = new Command("replay", "Insert songs one by one through the streaming engine; report exact-check accuracy, latency, throughput, memory and alerts.")
        {
            features, synthetic, seed, k, candidates, quantiles, tail, staleness, minRefresh, checkEvery, sampledCheck, batch, threads, dump, resume, save, format,
        };
        Require(k, v => v > 0, "--k must be positive.");
        Require(quantiles, v => v >= 2, "--quantiles must be at least 2.");
        Require(staleness, v => v > 0, "--staleness must be positive.");
        Require(minRefresh, v => v >= 0, "--min-refresh must be 0 or positive.");
        Require(checkEvery, v => v >= 0, "--check-every must be 0 or positive.");
        Require(sampledCheck, v => v >= 0, "--sampled-check must be 0 or positive.");
        Require(batch, v => v > 0, "--batch must be positive.");
        Require(threads, v => v == -1 || v > 0, "--threads must be -1 or positive.");
        command.Validators.Add(result =>
        {
            if ((result.GetValue(features) is null) == (result.GetValue(synthetic) is null))
            {
                result.AddError("Give exactly one of --features FILE or --synthetic N.");
            }

            if (result.GetValue(synthetic) is <= 0)
            {
                result.AddError("--synthetic must be positive.");
            }
        });

        command.SetAction(parse =>
        {
            // Cross-option checks here: command validators do not see option defaults.
            if (parse.GetValue(candidates) < parse.GetValue(k) || parse.GetValue(tail) < parse.GetValue(k))
            {
                error.WriteLine("error: --candidates and --tail must be at least --k.");
                return CommandLine.UsageError;
            }

            var options = new EngineOptions(
                K: parse.GetValue(k),
                Candidates: parse.GetValue(candidates),
                Quantiles: parse.GetValue(quantiles),
                Tail: parse.GetValue(tail),
                Staleness: parse.GetValue(staleness),
                MinRefresh: parse.GetValue(minRefresh),
                MaxDegreeOfParallelism: parse.GetValue(threads));
            var settings = new ReplaySettings(
                parse.GetValue(features)?.FullName,
                parse.GetValue(synthetic),
                parse.GetValue(seed),
                options,
                parse.GetValue(checkEvery),
                parse.GetValue(sampledCheck),
                parse.GetValue(batch),
                parse.GetValue(dump)?.FullName,
                parse.GetValue(resume)?.FullName,
                parse.GetValue(save)?.FullName,
                parse.GetValue(format));
            return ReplayRunner.Run(settings, output, error);
        });
        return command;
    }

    private static void Require<T>(Option<T> option, Func<T, bool> valid, string message) =>
        option.Validators.Add(result =>
        {
            if (!valid(result.GetValueOrDefault<T>()))
            {
                result.AddError(message);
            }
        });
}

using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using OrleansHub.Contracts;
using OrleansHub.Contracts.Api;

namespace OrleansHub.Client.Remote;

/// <summary>Totals of an ingestion.</summary>
/// <param name="Inserted">Songs the server stored now.</param>
/// <param name="Skipped">Songs the server already held with the same content.</param>
/// <param name="Failed">Songs rejected (id used by other content, invalid) or not sent after retries.</param>
internal sealed record IngestSummary(int Inserted, int Skipped, int Failed);

/// <summary>Progress notifications of an ingestion.</summary>
internal interface IIngestProgress
{
    /// <summary>Called after each batch with the running totals.</summary>
    void Report(IngestSummary totals, int total, TimeSpan elapsed);
}

/// <summary>
/// Sends songs to the silo in batches (<c>POST /api/songs/batch</c>), several batches in flight.
/// Resumable by construction: the server skips songs it already holds with the same content, and
/// they are counted as skipped. A batch rejected for id conflicts is re-sent without the conflicting
/// songs (which count as failed); an unavailable server (503, connection refused) is retried with
/// back-off before the batch counts as failed.
/// </summary>
internal sealed class IngestRunner(OrleansHubClient client, int batchSize, int parallel, TextWriter error, IIngestProgress progress)
{
    private const int Attempts = 5;
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(500);
    private readonly Lock _gate = new();
    private int _inserted;
    private int _skipped;
    private int _failed;

    /// <summary>Ingests <paramref name="songs"/> (ids must be distinct); returns the totals.</summary>
    public async Task<IngestSummary> RunAsync(IReadOnlyList<SongFeatures> songs, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var batches = songs.Chunk(batchSize).ToList();
        var options = new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(batches, options, async (batch, ct) =>
        {
            var (inserted, skipped, failed) = await SendAsync(batch, ct).ConfigureAwait(false);
            lock (_gate)
            {
                _inserted += inserted;
                _skipped += skipped;
                _failed += failed;
                progress.Report(new IngestSummary(_inserted, _skipped, _failed), songs.Count, clock.Elapsed);
            }
        }).ConfigureAwait(false);
        return new IngestSummary(_inserted, _skipped, _failed);
    }

    private async Task<(int Inserted, int Skipped, int Failed)> SendAsync(IReadOnlyList<SongFeatures> batch, CancellationToken cancellationToken)
    {
        var pending = batch.ToList();
        var failed = 0;
        var attempt = 0;
        var delay = FirstRetryDelay;
        while (pending.Count > 0)
        {
            try
            {
                var response = await client.InsertBatchAsync(pending, cancellationToken).ConfigureAwait(false);
                return (response.Inserted, pending.Count - response.Inserted, failed);
            }
            catch (OrleansHubApiException ex) when (ex.Status == (int)HttpStatusCode.Conflict)
            {
                var conflicting = ConflictingIds(ex);
                var before = pending.Count;
                pending.RemoveAll(s => conflicting.Contains(s.Id));
                if (pending.Count == before)
                {
                    return Fail(pending, failed, RemoteOptions.Describe(ex));
                }

                foreach (var id in conflicting)
                {
                    Log($"failed: {id}: the server holds a different song under this id (409)");
                }

                failed += before - pending.Count;
            }
            catch (OrleansHubApiException ex) when (ex.Status is (int)HttpStatusCode.Unauthorized or (int)HttpStatusCode.Forbidden)
            {
                throw;
            }
            catch (Exception ex) when (IsTransient(ex) && ++attempt < Attempts)
            {
                Log($"retry: batch starting at {pending[0].Id}: {Message(ex)}; retrying in {delay.TotalSeconds:0.0} s");
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                delay *= 2;
            }
            catch (Exception ex) when (ex is OrleansHubApiException or HttpRequestException)
            {
                return Fail(pending, failed, Message(ex));
            }
        }

        return (0, 0, failed);
    }

    private static bool IsTransient(Exception exception) =>
        exception is HttpRequestException
        || (exception is OrleansHubApiException api && api.Status is (int)HttpStatusCode.ServiceUnavailable or (int)HttpStatusCode.TooManyRequests or (int)HttpStatusCode.BadGateway or (int)HttpStatusCode.GatewayTimeout);

    private static string Message(Exception exception) =>
        exception is OrleansHubApiException api ? RemoteOptions.Describe(api) : exception.Message;

    private static HashSet<string> ConflictingIds(OrleansHubApiException exception)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        if (exception.Problem.Extensions.TryGetValue("ids", out var node) && node is JsonArray array)
        {
            foreach (var item in array)
            {
                if (item is JsonValue value && value.TryGetValue<string>(out var id))
                {
                    ids.Add(id);
                }
            }
        }

        return ids;
    }

    private (int Inserted, int Skipped, int Failed) Fail(List<SongFeatures> pending, int failedBefore, string reason)
    {
        Log($"failed: batch of {pending.Count} songs starting at {pending[0].Id}: {reason}");
        return (0, 0, failedBefore + pending.Count);
    }

    private void Log(string line)
    {
        lock (_gate)
        {
            error.WriteLine(line);
        }
    }
}

using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using OrleansHub.Grains.Distance;
using OrleansHub.Grains.Sketch;

namespace OrleansHub.Grains.Engine;

/// <content>
/// Batch insertion: the many-vs-many kernel for the distances, and a deferred sketch feed that
/// yields exactly the state of inserting the songs one by one.
/// </content>
/// <remarks>
/// <para>One by one, insertion step q adds d(X_q, y) to the sketch of every earlier song y, which
/// streams every sketch through memory once per song. In a batch the distances of all B steps are
/// known up front, so a song's sketch only has to be brought up to date when something reads it;
/// the rest of the values are added at the end of the batch in one pass per song (its sketch stays
/// in cache for the B values).</para>
/// <para>Equivalence: a song's sketch is only changed by its own sequence of values, in step
/// order, so applying them later gives the same bits as long as every read sees the sketch as it
/// would have been at that step. Reads happen (a) when step q's value changes more than the sketch
/// (it enters y's exact tail, or passes y's candidate filter τ_y), (b) when X_q builds its
/// candidate buffer from its nearest songs, (c) when the refresh re-ranks songs. Each of them
/// first catches the song up to the step. For (a) every step scans its distance row against a
/// per-song gate max(τ_y, last tail distance) (+∞ while the tail is not full): a value at or
/// below the gate is handled eagerly by the one-by-one code; a value above it could only have
/// changed the sketch. The gate is conservative (it may pass values that change nothing).</para>
/// </remarks>
public sealed partial class CatalogueEngine
{
    private readonly List<Alert> _batchAlerts = [];
    private BatchFeed? _feed;

    private void ApplyBatch(InsertBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch.Songs);
        CheckSequence(batch.Sequence);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < batch.Songs.Count; i++)
        {
            var song = batch.Songs[i];
            CheckNewId(song.Id);
            if (!seen.Add(song.Id))
            {
                throw new ArgumentException($"Song '{song.Id}' appears twice in the batch.", nameof(batch));
            }

            if (song.Sequence != batch.Sequence + i)
            {
                throw new ArgumentException("Batch songs must carry consecutive sequence numbers starting at the batch sequence.", nameof(batch));
            }
        }

        if (batch.Songs.Count == 0)
        {
            return;
        }

        EnsureCentre(batch.Songs[0].Model);

        // A batch is equivalent to consecutive smaller batches, so the distance blocks (8 bytes per
        // song pair: query-major and song-major) are bounded by running it in chunks.
        var chunk = (int)Math.Clamp(BatchScratchBytes / (8L * Math.Max(1, _ids.Count + batch.Songs.Count)), 1, batch.Songs.Count);
        try
        {
            for (var start = 0; start < batch.Songs.Count; start += chunk)
            {
                ApplyBatchChunk(batch.Songs, start, Math.Min(chunk, batch.Songs.Count - start));
            }
        }
        finally
        {
            _alerts.Clear();
            _alerts.AddRange(_batchAlerts);
            _batchAlerts.Clear();
        }
    }

    /// <summary>Scratch bound of one batch chunk's distance blocks (default 512 MiB: 64 songs per chunk at 1,000,000 songs; tests lower it).</summary>
    internal long BatchScratchBytes { get; set; } = 512L << 20;

    private void ApplyBatchChunk(IReadOnlyList<InsertSong> songs, int start, int b)
    {
        var batchSongs = new InsertSong[b];
        for (var i = 0; i < b; i++)
        {
            batchSongs[i] = songs[start + i];
        }

        var n0 = _ids.Count;
        var queries = new float[b * Stride];
        var rows = new float[b * Stride];
        for (var i = 0; i < b; i++)
        {
            SklPacking.PackQuery(batchSongs[i].Model, _centre, queries.AsSpan(i * Stride, Stride));
            SklPacking.PackRow(batchSongs[i].Model, _centre, rows.AsSpan(i * Stride, Stride));
        }

        // Batch × existing catalogue, shard by shard (many-vs-many kernel), then batch × batch.
        var shardsBefore = _shards.Count;
        var blocks = new float[shardsBefore][];
        var bySong = new float[shardsBefore][];
        var widths = new int[shardsBefore];
        Parallel.For(0, shardsBefore, _parallel, si =>
        {
            var s = _shards[si];
            var block = new float[b * s.Used];
            SklKernel.ManyToMany(queries, s.Rows.AsSpan(0, s.Used * Stride), block);
            blocks[si] = block;
            bySong[si] = Transpose(block, b, s.Used);
            widths[si] = s.Used;
            for (var l = 0; l < s.Used; l++)
            {
                s.Gate[l] = s.Alive[l] ? GateOf(s, l) : float.NegativeInfinity;
            }
        });

        var inner = new float[b * b];
        SklKernel.ManyToMany(queries, rows, inner);
        var feed = new BatchFeed(n0, b, bySong, inner, _options.ShardCapacity);
        _feed = feed;
        try
        {
            for (var i = 0; i < b; i++)
            {
                var song = batchSongs[i];
                feed.Step = i;
                var ordinal = AllocateSlot(song.Id, song.Sequence);
                var (shard, local) = Locate(ordinal);
                rows.AsSpan(i * Stride, Stride).CopyTo(shard.Row(local));
                for (var si = 0; si < shardsBefore; si++)
                {
                    blocks[si].AsSpan(i * widths[si], widths[si]).CopyTo(_distances.AsSpan(_shards[si].First, widths[si]));
                }

                inner.AsSpan(i * b, i).CopyTo(_distances.AsSpan(n0, i));
                _alerts.Clear();
                InsertCore(ordinal, _distances, song.Sequence);
                _lastSequence = song.Sequence;
                FinishEvent(song.Sequence);
                _batchAlerts.AddRange(_alerts);
            }

            // Every value not yet fed, song by song (each sketch stays in cache for its B values).
            Parallel.For(0, _shards.Count, _parallel, si =>
            {
                var s = _shards[si];
                for (var l = 0; l < s.Used; l++)
                {
                    if (s.Alive[l])
                    {
                        CatchUp(feed, s, l, b);
                    }
                }
            });
        }
        finally
        {
            _feed = null;
        }
    }

    /// <summary>Song-major copy of a query-major block (rows × columns), in cache-sized tiles.</summary>
    private static float[] Transpose(float[] block, int rows, int columns)
    {
        const int Tile = 32;
        var result = new float[block.Length];
        for (var c0 = 0; c0 < columns; c0 += Tile)
        {
            var c1 = Math.Min(columns, c0 + Tile);
            for (var r0 = 0; r0 < rows; r0 += Tile)
            {
                var r1 = Math.Min(rows, r0 + Tile);
                for (var c = c0; c < c1; c++)
                {
                    for (var r = r0; r < r1; r++)
                    {
                        result[(c * rows) + r] = block[(r * columns) + c];
                    }
                }
            }
        }

        return result;
    }

    /// <summary>
    /// The largest distance at which a newcomer could do more than feed y's sketch: enter its exact
    /// tail (below its last entry; anything while the tail is not full) or pass its candidate filter τ_y.
    /// </summary>
    private static float GateOf(Shard s, int l)
    {
        var c = s.TailCount[l];
        return c < s.Tail ? float.PositiveInfinity : Math.Max(s.Tau[l], s.TailDist[(l * s.Tail) + c - 1]);
    }

    /// <summary>Feeds y (in shard s at l) every batch value of the steps before <paramref name="upTo"/> it has not received yet.</summary>
    private static void CatchUp(BatchFeed feed, Shard s, int l, int upTo)
    {
        var y = s.First + l;
        var from = feed.Fed(y);
        if (from >= upTo)
        {
            return;
        }

        // Scratch only for songs of the batch itself (their values are query-major); ≤ 2 KB on the stack.
        var count = y >= feed.FirstOfBatch ? upTo - from : 0;
        Span<float> scratch = count <= 512 ? stackalloc float[count] : new float[count];
        SketchOps.AddRange(s.KnotsOf(l), s.CountsOf(l), ref s.Headers[l], feed.Values(y, from, upTo, scratch));
        feed.SetFed(y, upTo);
    }

    /// <summary>Brings song t's sketch to the current step (it has received the current step's value) before it is read; no-op outside a batch.</summary>
    private void CatchUpForRead(int t)
    {
        if (_feed is { } feed)
        {
            var (s, l) = Locate(t);
            CatchUp(feed, s, l, feed.Step + 1);
        }
    }

    /// <summary>Catches up, in parallel, the sketches of the given songs (each once) before they are read; no-op outside a batch.</summary>
    private void CatchUpForRead(List<int> songs)
    {
        if (_feed is not { } feed)
        {
            return;
        }

        var upTo = feed.Step + 1;
        var need = new List<int>();
        foreach (var t in songs)
        {
            if (feed.Fed(t) < upTo && feed.Mark(t, upTo))
            {
                need.Add(t);
            }
        }

        Parallel.For(0, need.Count, _parallel, i =>
        {
            if (i + PrefetchDistance < need.Count)
            {
                var ahead = need[i + PrefetchDistance];
                var (ps, pl) = Locate(ahead);
                PrefetchSketch(ps, pl);
                feed.PrefetchValues(ahead);
            }

            var (s, l) = Locate(need[i]);
            CatchUp(feed, s, l, upTo);
        });
    }

    private const int PrefetchDistance = 6;

    /// <summary>Asks the cache for a song's sketch (header, knots, counts) ahead of a random-access read.</summary>
    private static unsafe void PrefetchSketch(Shard s, int l)
    {
        if (!Sse.IsSupported)
        {
            return;
        }

        fixed (SketchHeader* header = &s.Headers[l])
        {
            Sse.Prefetch0(header);
        }

        fixed (float* knots = &s.Knots[l * s.Quantiles], counts = &s.Counts[l * (s.Quantiles + 1)])
        {
            for (var b = 0; b < s.Quantiles * sizeof(float); b += 64)
            {
                Sse.Prefetch0((byte*)knots + b);
                Sse.Prefetch0((byte*)counts + b);
            }

            Sse.Prefetch0((byte*)counts + (s.Quantiles * sizeof(float)));
        }
    }

    /// <summary>
    /// Step q of a batch, for one shard: the songs whose gate the new distance passes are caught up
    /// and fed by the one-by-one code; the rest wait for a read or the end of the batch.
    /// </summary>
    private static void FeedGated(BatchFeed feed, Shard s, float[] distances, int ordinal, int end, List<(int, int)> changes, List<int> passes)
    {
        var row = distances.AsSpan(s.First, end);
        var gate = s.Gate.AsSpan(0, end);
        var l = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; l + Vector256<float>.Count <= end; l += Vector256<float>.Count)
            {
                var mask = Vector256.LessThanOrEqual(Vector256.Create(row.Slice(l, Vector256<float>.Count)), Vector256.Create(gate.Slice(l, Vector256<float>.Count))).ExtractMostSignificantBits();
                while (mask != 0)
                {
                    var j = l + BitOperations.TrailingZeroCount(mask);
                    mask &= mask - 1;
                    FeedEager(feed, s, j, row[j], ordinal, changes, passes);
                }
            }
        }

        for (; l < end; l++)
        {
            if (row[l] <= gate[l])
            {
                FeedEager(feed, s, l, row[l], ordinal, changes, passes);
            }
        }
    }

    private static void FeedEager(BatchFeed feed, Shard s, int l, float d, int ordinal, List<(int, int)> changes, List<int> passes)
    {
        CatchUp(feed, s, l, feed.Step);
        Feed(s, l, d, ordinal, changes, passes);
        feed.SetFed(s.First + l, feed.Step + 1);
        s.Gate[l] = GateOf(s, l);
    }

    /// <summary>Deferred-feed bookkeeping of one batch (not engine state: nothing survives the batch).</summary>
    /// <remarks>Batch values are kept song-major (a song's B values are contiguous) so that a catch-up reads one run.</remarks>
    private sealed class BatchFeed(int n0, int size, float[][] bySong, float[] inner, int shardCapacity)
    {
        private readonly int[] _fed = CreateFed(n0, size);
        private readonly int[] _mark = new int[n0 + size];

        /// <summary>Ordinal of the batch's first song (n0).</summary>
        public int FirstOfBatch => n0;

        /// <summary>The batch step being applied (song n0 + Step is being inserted).</summary>
        public int Step { get; set; }

        /// <summary>First step whose value song y has not received (songs of the batch start after their own step).</summary>
        public int Fed(int y) => _fed[y];

        public void SetFed(int y, int step) => _fed[y] = step;

        /// <summary>Marks y for the refresh catch-up of a step; false when already marked.</summary>
        public bool Mark(int y, int stamp)
        {
            if (_mark[y] == stamp)
            {
                return false;
            }

            _mark[y] = stamp;
            return true;
        }

        /// <summary>Asks the cache for the values y is owed (song-major row of an earlier song) ahead of its catch-up.</summary>
        public unsafe void PrefetchValues(int y)
        {
            if (y >= n0 || !Sse.IsSupported)
            {
                return;
            }

            var (block, row) = SongRow(y);
            var from = _fed[y];
            fixed (float* start = &block[row + Math.Min(from, size - 1)])
            {
                var bytes = (size - from) * sizeof(float);
                for (var b = 0; b < Math.Min(bytes, 256); b += 64)
                {
                    Sse.Prefetch0((byte*)start + b);
                }
            }
        }

        /// <summary>d(X_q, y) for q in [from, upTo): the kernel's values for the queries of those steps' songs against y's row.</summary>
        public ReadOnlySpan<float> Values(int y, int from, int upTo, Span<float> scratch)
        {
            if (y < n0)
            {
                var (block, row) = SongRow(y);
                return block.AsSpan(row + from, upTo - from);
            }

            for (var q = from; q < upTo; q++)
            {
                scratch[q - from] = inner[(q * size) + (y - n0)];
            }

            return scratch;
        }

        /// <summary>The song-major block of an earlier song y and the offset of its B values in it.</summary>
        private (float[] Block, int Row) SongRow(int y)
        {
            var si = y / shardCapacity;
            return (bySong[si], (y - (si * shardCapacity)) * size);
        }

        private static int[] CreateFed(int n0, int size)
        {
            var fed = new int[n0 + size];
            for (var j = 0; j < size; j++)
            {
                fed[n0 + j] = j + 1;
            }

            return fed;
        }
    }
}

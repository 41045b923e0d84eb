using MathNet.Numerics.Distributions;
using OrleansHub.Grains.Distance;
using OrleansHub.Grains.Model;
using OrleansHub.Grains.Sketch;

namespace OrleansHub.Grains.Engine;

/// <content>An approximate bulk seeder for scale benchmarks (not the state of any event log).</content>
public sealed partial class CatalogueEngine
{
    /// <summary>
    /// Benchmark fixture: an engine holding the given songs with <b>approximate</b> per-song state,
    /// so that the cost and memory of insertions into a catalogue too large to build one song at a
    /// time (Σ O(n) work) can be measured. Not reachable by events and never served.
    /// </summary>
    /// <remarks>
    /// Each song's distances to a strided sample of <paramref name="sampleSize"/> songs (the
    /// engine's kernel) give its sketch (exact quantiles of the sample, counts scaled to n − 1) and
    /// a log-normal fit of its distances; its exact tail gets the sample's nearest songs as
    /// ordinals and the fit's quantiles at ranks 1..L of n − 1 as distances, so tails, τ filters and
    /// gates are as selective as in a real catalogue of this size. Candidate buffers, MP lists, τ
    /// and O^k then come from the engine's own refresh code. Every structure has its real size.
    /// </remarks>
    /// <param name="chunks">The songs, in ordinal order, in chunks (so that the models need not all be held at once).</param>
    /// <param name="options">Engine settings.</param>
    /// <param name="sampleSize">Songs in the distance sample (at least the tail size L).</param>
    internal static CatalogueEngine SeedForScale(IEnumerable<IReadOnlyList<(string Id, GaussianModel Model)>> chunks, EngineOptions options, int sampleSize)
    {
        var engine = new CatalogueEngine(options);
        foreach (var chunk in chunks)
        {
            foreach (var (id, model) in chunk)
            {
                engine.CheckNewId(id);
                engine.EnsureCentre(model);
                var ordinal = engine.AllocateSlot(id, engine._ids.Count + 1);
                var (s, l) = engine.Locate(ordinal);
                SklPacking.PackRow(model, engine._centre, s.Row(l));
            }
        }

        engine.SeedState(sampleSize);
        return engine;
    }

    private void SeedState(int sampleSize)
    {
        var n = _ids.Count;
        ArgumentOutOfRangeException.ThrowIfLessThan(sampleSize, _options.Tail);
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 2 * sampleSize);
        var stride = n / sampleSize;
        var sampleRows = new float[sampleSize * Stride];
        for (var j = 0; j < sampleSize; j++)
        {
            var (s, l) = Locate(j * stride);
            s.Row(l).CopyTo(sampleRows.AsSpan(j * Stride, Stride));
        }

        _live = n;
        _lastSequence = n;
        const int Block = 256;
        Parallel.For(0, (n + Block - 1) / Block, _parallel, bi =>
        {
            var first = bi * Block;
            var count = Math.Min(Block, n - first);
            var queries = new float[count * Stride];
            for (var i = 0; i < count; i++)
            {
                var (s, l) = Locate(first + i);
                SklPacking.QueryFromRow<float>(s.Row(l), queries.AsSpan(i * Stride, Stride));
            }

            var block = new float[count * sampleSize];
            SklKernel.ManyToMany(queries, sampleRows, block);
            var keys = new ulong[sampleSize];
            var values = new double[sampleSize];
            for (var i = 0; i < count; i++)
            {
                var y = first + i;
                var used = 0;
                for (var j = 0; j < sampleSize; j++)
                {
                    if (j * stride != y)
                    {
                        keys[used++] = Key(block[(i * sampleSize) + j], j * stride);
                    }
                }

                Array.Sort(keys, 0, used);
                SeedSong(y, keys.AsSpan(0, used), values.AsSpan(0, used), n - 1);
            }
        });

        for (var y = 0; y < n; y++)
        {
            _skl.AddSong(0);
            _mp.AddSong(0);
        }

        // Candidate buffers, τ and MP lists by the refresh code (pure per song), then O^k in ordinal order.
        Parallel.For(0, n, _parallel, y =>
        {
            var (s, l) = Locate(y);
            foreach (var (t, d) in RescoreFromTails(s, l))
            {
                var (ts, tl) = Locate(t);
                OfferCandidate(s, l, t, d, MpDistance(s, l, ts, tl, d));
            }

            RecomputeTau(s, l);
        });
        for (var y = 0; y < n; y++)
        {
            var (s, l) = Locate(y);
            for (var i = 0; i < _options.K; i++)
            {
                ChangeOccurrence(Metric.Skl, s.TailOrd[(l * s.Tail) + i], +1);
            }

            UpdateMpList(y, s, l);
            if (_touched.Count > 65536)
            {
                _touched.Clear();
            }
        }

        _touched.Clear();
        _alerts.Clear();
    }

    /// <summary>One song's sketch and tail from its sorted sample distances (keys of distance and ordinal).</summary>
    private void SeedSong(int y, ReadOnlySpan<ulong> sorted, Span<double> values, long others)
    {
        var (s, l) = Locate(y);
        double sumLog = 0, sumLog2 = 0;
        for (var j = 0; j < sorted.Length; j++)
        {
            values[j] = KeyDistance(sorted[j]);
            var g = Math.Log(Math.Max(values[j], 1e-6));
            sumLog += g;
            sumLog2 += g * g;
        }

        ref var header = ref s.Headers[l];
        SketchOps.Initialise(s.KnotsOf(l), s.CountsOf(l), ref header, values);
        var scale = others / (double)sorted.Length;
        var counts = s.CountsOf(l);
        for (var b = 0; b < counts.Length; b++)
        {
            counts[b] = (float)(counts[b] * scale);
        }

        var mu = sumLog / sorted.Length;
        var sigma = Math.Sqrt(Math.Max(1e-12, (sumLog2 / sorted.Length) - (mu * mu)));
        var tail = s.Tail;
        var low = float.PositiveInfinity;
        for (var i = 0; i < tail; i++)
        {
            var d = (float)Math.Exp(Normal.InvCDF(mu, sigma, (i + 1) / (double)others));
            d = i > 0 ? Math.Max(d, s.TailDist[(l * tail) + i - 1]) : d;
            s.TailDist[(l * tail) + i] = d;
            s.TailOrd[(l * tail) + i] = (int)(uint)sorted[i];
            low = Math.Min(low, d);
        }

        s.TailCount[l] = tail;
        header = new SketchHeader
        {
            Count = others,
            KnottedAt = others,
            Shift = header.Shift,
            Sum = header.Sum * scale,
            SumSquares = header.SumSquares * scale,
            Min = Math.Min(header.Min, low),
            Max = header.Max,
        };
    }
}

using OrleansHub.Grains.Distance;

namespace OrleansHub.Grains.Engine;

/// <summary>One neighbour of a song.</summary>
/// <param name="Id">Neighbour id.</param>
/// <param name="Ordinal">Neighbour insertion ordinal.</param>
/// <param name="Distance">D_SKL (float32 kernel value).</param>
/// <param name="MpDistance">D_MP = 1 − MP as last ranked (MP lists only; NaN for SKL lists).</param>
public sealed record Neighbour(string Id, int Ordinal, float Distance, float MpDistance);

/// <summary>Catalogue-level hubness measures of one relation, maintained incrementally.</summary>
/// <param name="Count">Live songs n.</param>
/// <param name="K">List length k.</param>
/// <param name="HubSize">Hub factor h.</param>
/// <param name="Hubs">Songs with O^k ≥ h·k.</param>
/// <param name="Antihubs">Songs with O^k = 0.</param>
/// <param name="MaxOccurrence">Largest O^k.</param>
/// <param name="Skewness">S^k (biased sample skewness).</param>
/// <param name="RobinHood">½·Σ|O^k − k| / Σ O^k.</param>
/// <param name="Gini">Gini index of O^k.</param>
/// <param name="Histogram">histogram[v] = songs with O^k = v, v = 0..max.</param>
public sealed record CatalogueMeasures(int Count, int K, int HubSize, long Hubs, long Antihubs, int MaxOccurrence, double Skewness, double RobinHood, double Gini, long[] Histogram)
{
    /// <summary>Hubs as a share of n.</summary>
    public double HubShare => Count == 0 ? 0 : (double)Hubs / Count;

    /// <summary>Anti-hubs as a share of n.</summary>
    public double AntihubShare => Count == 0 ? 0 : (double)Antihubs / Count;
}

/// <summary>Read-side view of one song.</summary>
/// <param name="Id">Song id.</param>
/// <param name="Ordinal">Insertion ordinal.</param>
/// <param name="InsertedAt">Sequence number of its insertion.</param>
/// <param name="OccurrenceSkl">O^k under SKL.</param>
/// <param name="OccurrenceMp">O^k under MP.</param>
/// <param name="DistanceCount">Distances summarised by its sketch (live songs − 1).</param>
/// <param name="DistanceMean">Mean of its distances.</param>
/// <param name="DistanceStandardDeviation">Population standard deviation of its distances.</param>
public sealed record SongInfo(string Id, int Ordinal, long InsertedAt, int OccurrenceSkl, int OccurrenceMp, long DistanceCount, double DistanceMean, double DistanceStandardDeviation);

/// <content>Read-side queries.</content>
public sealed partial class CatalogueEngine
{
    /// <summary>The ordinal of a live song, if any.</summary>
    public bool TryGetOrdinal(string id, out int ordinal) => _ordinals.TryGetValue(id, out ordinal);

    /// <summary>The id of an ordinal (live or deleted).</summary>
    public string IdOf(int ordinal) => _ids[ordinal];

    /// <summary>Whether an ordinal is live.</summary>
    public bool IsLive(int ordinal) => ordinal >= 0 && ordinal < _ids.Count && IsAlive(ordinal);

    /// <summary>Live ordinals in insertion order.</summary>
    public int[] LiveOrdinals()
    {
        var result = new int[_live];
        var i = 0;
        for (var o = 0; o < _ids.Count; o++)
        {
            if (IsAliveFast(o))
            {
                result[i++] = o;
            }
        }

        return result;
    }

    /// <summary>The current k-NN list (ordinals, nearest first) of a live song.</summary>
    public int[] NeighbourOrdinals(int ordinal, Metric metric)
    {
        var (s, l) = Locate(ordinal);
        return metric == Metric.Skl
            ? s.TailOrd.AsSpan(l * s.Tail, Math.Min(s.K, s.TailCount[l])).ToArray()
            : s.MpList.AsSpan(l * s.K, s.MpCount[l]).ToArray();
    }

    /// <summary>The k-NN list of a song with distances.</summary>
    /// <exception cref="KeyNotFoundException">Unknown id.</exception>
    public IReadOnlyList<Neighbour> Neighbours(string id, Metric metric)
    {
        if (!_ordinals.TryGetValue(id, out var ordinal))
        {
            throw new KeyNotFoundException($"Song '{id}' does not exist.");
        }

        var (s, l) = Locate(ordinal);
        var result = new List<Neighbour>();
        if (metric == Metric.Skl)
        {
            for (var i = 0; i < Math.Min(s.K, s.TailCount[l]); i++)
            {
                var t = s.TailOrd[(l * s.Tail) + i];
                result.Add(new Neighbour(_ids[t], t, s.TailDist[(l * s.Tail) + i], float.NaN));
            }
        }
        else
        {
            for (var i = 0; i < s.MpCount[l]; i++)
            {
                var b = (l * s.Candidates) + i;
                var t = s.CandOrd[b];
                result.Add(new Neighbour(_ids[t], t, s.CandDist[b], s.CandScore[b]));
            }
        }

        return result;
    }

    /// <summary>O^k of an ordinal under a metric.</summary>
    public int Occurrence(int ordinal, Metric metric)
    {
        var (s, l) = Locate(ordinal);
        return metric == Metric.Skl ? s.OccSkl[l] : s.OccMp[l];
    }

    /// <summary>Song lookup by id.</summary>
    public SongInfo? Lookup(string id)
    {
        if (!_ordinals.TryGetValue(id, out var ordinal))
        {
            return null;
        }

        var (s, l) = Locate(ordinal);
        var h = s.Headers[l];
        return new SongInfo(id, ordinal, s.InsertedAt[l], s.OccSkl[l], s.OccMp[l], h.Count, h.Mean, h.Count > 0 ? Math.Sqrt(h.M2 / h.Count) : 0);
    }

    /// <summary>Catalogue measures of a relation (O(1) except the histogram copy and Gini, O(max O^k)).</summary>
    public CatalogueMeasures Measures(Metric metric)
    {
        var t = metric == Metric.Skl ? _skl : _mp;
        var histogram = new long[t.Max + 1];
        for (var v = 0; v <= t.Max; v++)
        {
            histogram[v] = t.CountAt(v);
        }

        return new CatalogueMeasures(_live, _options.K, _options.HubSize, t.Hubs, t.Antihubs, t.Max, t.Skewness(), t.RobinHood(), t.Gini(), histogram);
    }

    /// <summary>The <paramref name="count"/> live songs of largest O^k (ties by ordinal). O(n).</summary>
    public IReadOnlyList<(string Id, int Occurrence)> TopHubs(Metric metric, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var all = new List<(int Ordinal, int Occurrence)>();
        foreach (var o in LiveOrdinals())
        {
            all.Add((o, Occurrence(o, metric)));
        }

        all.Sort((a, b) => a.Occurrence != b.Occurrence ? b.Occurrence.CompareTo(a.Occurrence) : a.Ordinal.CompareTo(b.Ordinal));
        return all.Take(count).Select(e => (_ids[e.Ordinal], e.Occurrence)).ToArray();
    }

    /// <summary>Anti-hubs (O^k = 0) in insertion order, paged.</summary>
    public IReadOnlyList<string> Antihubs(Metric metric, int skip, int take)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(skip);
        ArgumentOutOfRangeException.ThrowIfNegative(take);
        return LiveOrdinals().Where(o => Occurrence(o, metric) == 0).Skip(skip).Take(take).Select(o => _ids[o]).ToArray();
    }

    /// <summary>Copies the packed row of an ordinal (live or deleted).</summary>
    public void CopyRow(int ordinal, Span<float> destination)
    {
        var (s, l) = Locate(ordinal);
        s.Row(l).CopyTo(destination[..SklPacking.Stride]);
    }

    /// <summary>
    /// Streams every used packed row once from memory, parallel over shards like the insert kernel
    /// (a sum per shard, added in shard order): the memory-bandwidth floor of one insertion.
    /// </summary>
    /// <returns>The sum of all packed floats (so the pass cannot be optimised away).</returns>
    public double StreamPackedRows()
    {
        var sums = new double[_shards.Count];
        Parallel.For(0, _shards.Count, _parallel, si =>
        {
            var s = _shards[si];
            sums[si] = StreamSum(s.Rows.AsSpan(0, s.Used * SklPacking.Stride));
        });
        return sums.Sum();
    }

    // Four independent vector accumulators: bound by memory bandwidth, not by add latency.
    private static float StreamSum(ReadOnlySpan<float> values)
    {
        var v = System.Runtime.InteropServices.MemoryMarshal.Cast<float, System.Numerics.Vector<float>>(values);
        System.Numerics.Vector<float> a = default, b = default, c = default, d = default;
        var i = 0;
        for (; i + 3 < v.Length; i += 4)
        {
            a += v[i];
            b += v[i + 1];
            c += v[i + 2];
            d += v[i + 3];
        }

        for (; i < v.Length; i++)
        {
            a += v[i];
        }

        return System.Numerics.Vector.Sum(a + b + c + d);
    }

    /// <summary>Bytes of engine state per ordinal slot (arrays; ids are counted separately by <see cref="StateBytes"/>).</summary>
    public long BytesPerSlot => Shard.BytesPerSlot(_options);

    /// <summary>
    /// Estimated bytes of the whole engine state: allocated shard arrays plus ids (string objects,
    /// the id list and the id → ordinal dictionary).
    /// </summary>
    public long StateBytes()
    {
        long bytes = _shards.Count * (long)_options.ShardCapacity * BytesPerSlot;
        foreach (var id in _ids)
        {
            bytes += 22 + (2L * id.Length) + 8 + 24;
        }

        return bytes + ((long)_distances.Length * 4);
    }
}

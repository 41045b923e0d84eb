using OrleansHub.Grains.Sketch;

namespace OrleansHub.Grains.Engine;

/// <content>Insertion: the five steps of SPEC §2.</content>
public sealed partial class CatalogueEngine
{
    /// <summary>
    /// Inserts the song at <paramref name="ordinal"/> (row already packed) given its distances to
    /// every earlier ordinal (entries of deleted songs are ignored).
    /// </summary>
    private void InsertCore(int ordinal, float[] distances, long sequence)
    {
        var others = _live;
        var (xs, xl) = Locate(ordinal);

        // Step 3a: X's exact low set (nearest songs, sorted by distance then ordinal) and sketch.
        var low = SelectNearest(distances, ordinal, Math.Max(Math.Max(LowSetMinimum, 4 * _options.Candidates), _options.Quantiles), others, xs, xl);
        var median = MedianEstimate(xs, xl);

        // Step 1–2: every other song y feeds d(X, y) into its sketch and exact tail; collect
        // the SKL list changes and the songs whose MP candidate filter X passes. Per shard, pure.
        _live++;
        _skl.AddSong(0);
        _mp.AddSong(0);
        var sklChanges = new List<(int Y, int Evicted)>[_shards.Count];
        var pending = new List<int>[_shards.Count];
        var distanceArray = distances;
        var feed = _feed;
        Parallel.For(0, _shards.Count, _parallel, si =>
        {
            var s = _shards[si];
            var changes = new List<(int, int)>();
            var passes = new List<int>();
            var end = Math.Min(s.Used, ordinal - s.First);
            if (feed is not null)
            {
                FeedGated(feed, s, distanceArray, ordinal, end, changes, passes);
            }
            else
            {
                for (var l = 0; l < end; l++)
                {
                    if (s.Alive[l])
                    {
                        Feed(s, l, distanceArray[s.First + l], ordinal, changes, passes);
                    }
                }
            }

            sklChanges[si] = changes;
            pending[si] = passes;
        });

        // Step 3b: X's own tail (SKL list) and candidate buffer from its full row.
        var tailCount = Math.Min(_options.Tail, low.Count);
        for (var i = 0; i < tailCount; i++)
        {
            xs.TailDist[(xl * _options.Tail) + i] = low.Distance(i);
            xs.TailOrd[(xl * _options.Tail) + i] = low.Ordinal(i);
        }

        xs.TailCount[xl] = tailCount;

        // Step 4: O^k deltas, in ordinal order.
        foreach (var list in sklChanges)
        {
            foreach (var (y, evicted) in list)
            {
                if (evicted >= 0)
                {
                    ChangeOccurrence(Metric.Skl, evicted, -1);
                }

                ChangeOccurrence(Metric.Skl, ordinal, +1);
                _ = y;
            }
        }

        for (var i = 0; i < Math.Min(_options.K, tailCount); i++)
        {
            ChangeOccurrence(Metric.Skl, xs.TailOrd[(xl * _options.Tail) + i], +1);
        }

        // Step 2 (MP part): X enters the candidate buffer of y when it ranks among y's m best.
        foreach (var list in pending)
        {
            foreach (var y in list)
            {
                var (ys, yl) = Locate(y);
                var d = distanceArray[y];
                var score = MpDistance(ys, yl, xs, xl, d);
                if (OfferCandidate(ys, yl, ordinal, d, score))
                {
                    UpdateMpList(y, ys, yl);
                    RecomputeTau(ys, yl);
                }
            }
        }

        BuildCandidates(xs, xl, ordinal, distances, low, others);
        UpdateMpList(ordinal, xs, xl);
        RecomputeTau(xs, xl);

        // Step 5: bounded-staleness refresh of MP rankings.
        Refresh(ordinal);

        CheckAnomaly(ordinal, sequence, median, others);
    }

    /// <summary>
    /// Step 1–2 for one earlier song y: d(X, y) enters y's sketch and is offered to its exact tail
    /// (SKL list changes are collected), and y is collected when X passes its candidate filter.
    /// </summary>
    private static void Feed(Shard s, int l, float d, int ordinal, List<(int, int)> changes, List<int> passes)
    {
        var before = s.Headers[l].Count;
        SketchOps.Add(s.KnotsOf(l), s.CountsOf(l), ref s.Headers[l], d);
        var evicted = OfferTail(s, l, d, ordinal, before);
        if (evicted != int.MinValue)
        {
            changes.Add((s.First + l, evicted));
        }

        if (d <= s.Tau[l])
        {
            passes.Add(s.First + l);
        }
    }

    /// <summary>
    /// Offers X (the newest ordinal, so it loses every distance tie) to y's exact tail. Returns
    /// int.MinValue when y's SKL list is unchanged, otherwise the ordinal evicted from the SKL list
    /// (−1 when the list only grew).
    /// </summary>
    private static int OfferTail(Shard s, int l, float d, int ordinal, long countBefore)
    {
        var cap = s.Tail;
        var c = s.TailCount[l];
        var dist = s.TailDist.AsSpan(l * cap, cap);
        var ords = s.TailOrd.AsSpan(l * cap, cap);
        var holdsAll = c == countBefore;
        if (!(c > 0 && d < dist[c - 1]) && !(holdsAll && c < cap))
        {
            return int.MinValue;
        }

        var pos = SortedSearch.CountAtMost<float>(dist[..c], d);
        var evicted = c >= s.K && pos < s.K ? ords[s.K - 1] : -1;
        var newCount = Math.Min(cap, c + 1);
        for (var i = newCount - 1; i > pos; i--)
        {
            dist[i] = dist[i - 1];
            ords[i] = ords[i - 1];
        }

        dist[pos] = d;
        ords[pos] = ordinal;
        s.TailCount[l] = newCount;
        return pos < s.K ? evicted : int.MinValue;
    }

    /// <summary>
    /// Estimated count of y's distances ≤ d: exact from the tail below its last entry, the sketch
    /// above. <paramref name="count"/> is y's number of distances (its sketch count plus any values
    /// a batch still owes it; the sketch itself is only read when it owes none).
    /// </summary>
    private static double CountAtMost(Shard s, int l, float d, long count)
    {
        var c = s.TailCount[l];
        if (c > 0 && d < s.TailDist[(l * s.Tail) + c - 1])
        {
            return SortedSearch.CountAtMost<float>(s.TailDist.AsSpan(l * s.Tail, c), d);
        }

        ref var header = ref s.Headers[l];
        if (c >= count)
        {
            return c;
        }

        if (count != header.Count)
        {
            throw new InvalidOperationException($"Sketch of ordinal {s.First + l} read while a batch owes it {count - header.Count} values.");
        }

        return Math.Max(c, SketchOps.CountAtMost(s.KnotsOf(l), s.CountsOf(l), in header, d));
    }

    /// <summary>True when F_y(d) needs y's sketch (d at or beyond its exact tail), false when the tail answers it.</summary>
    private static bool NeedsSketch(Shard s, int l, float d)
    {
        var c = s.TailCount[l];
        return c == 0 || !(d < s.TailDist[(l * s.Tail) + c - 1]);
    }

    /// <summary>F_y(d) of the served MP (0 when y has no other songs); <paramref name="count"/> is <see cref="DistanceCount"/>.</summary>
    private static double Cdf(Shard s, int l, float d, long count) =>
        count == 0 ? 0 : Math.Min(1, CountAtMost(s, l, d, count) / count);

    /// <summary>y's number of distances: its sketch count plus the values a running batch still owes it after the current step.</summary>
    private long DistanceCount(Shard s, int l) =>
        s.Headers[l].Count + (_feed is { } feed ? feed.Step + 1 - feed.Fed(s.First + l) : 0);

    /// <summary>D_MP(y, t) = 1 − S_y(d)·S_t(d) = F_y + F_t − F_y·F_t, as float32.</summary>
    private float MpDistance(Shard ys, int yl, Shard ts, int tl, float d)
    {
        var fy = Cdf(ys, yl, d, DistanceCount(ys, yl));
        var ft = Cdf(ts, tl, d, DistanceCount(ts, tl));
        return (float)(fy + ft - (fy * ft));
    }

    /// <summary>Inserts a candidate into y's buffer (sorted by MP distance, SKL distance, ordinal); true when it entered.</summary>
    private static bool OfferCandidate(Shard s, int l, int t, float d, float score)
    {
        var cap = s.Candidates;
        var c = s.CandCount[l];
        var scores = s.CandScore.AsSpan(l * cap, cap);
        var dist = s.CandDist.AsSpan(l * cap, cap);
        var ords = s.CandOrd.AsSpan(l * cap, cap);
        var pos = c;
        while (pos > 0 && Before(score, d, t, scores[pos - 1], dist[pos - 1], ords[pos - 1]))
        {
            pos--;
        }

        if (pos >= cap)
        {
            return false;
        }

        var newCount = Math.Min(cap, c + 1);
        for (var i = newCount - 1; i > pos; i--)
        {
            scores[i] = scores[i - 1];
            dist[i] = dist[i - 1];
            ords[i] = ords[i - 1];
        }

        scores[pos] = score;
        dist[pos] = d;
        ords[pos] = t;
        s.CandCount[l] = newCount;
        return true;
    }

    private static bool Before(float score, float d, int t, float otherScore, float otherD, int otherT) =>
        score < otherScore || (score == otherScore && (d < otherD || (d == otherD && t < otherT)));

    /// <summary>Sets y's MP list to the first k of its buffer and applies the O^k deltas.</summary>
    private void UpdateMpList(int y, Shard s, int l)
    {
        var k = _options.K;
        Span<int> old = stackalloc int[k];
        var oldCount = s.MpCount[l];
        s.MpList.AsSpan(l * k, oldCount).CopyTo(old);
        var newCount = Math.Min(k, s.CandCount[l]);
        var fresh = s.CandOrd.AsSpan(l * s.Candidates, newCount);
        fresh.CopyTo(s.MpList.AsSpan(l * k, newCount));
        s.MpCount[l] = newCount;
        foreach (var t in old[..oldCount])
        {
            if (!fresh.Contains(t))
            {
                ChangeOccurrence(Metric.Mp, t, -1);
            }
        }

        foreach (var t in fresh)
        {
            if (!old[..oldCount].Contains(t))
            {
                ChangeOccurrence(Metric.Mp, t, +1);
            }
        }

        _ = y;
    }

    /// <summary>
    /// τ_y: the largest distance at which a newcomer could still enter y's full buffer, from
    /// MP(y, X) ≤ S_y(d): X can enter only if count_y(d) &lt; w·N (w = worst cached MP distance);
    /// one song of slack absorbs the sketch moving between refreshes. +∞ while the buffer is not full.
    /// </summary>
    private static void RecomputeTau(Shard s, int l)
    {
        ComputeTau(s, l);
        s.Gate[l] = GateOf(s, l);
    }

    private static void ComputeTau(Shard s, int l)
    {
        var c = s.CandCount[l];
        if (c < s.Candidates)
        {
            s.Tau[l] = float.PositiveInfinity;
            return;
        }

        ref var header = ref s.Headers[l];
        var target = (s.CandScore[(l * s.Candidates) + c - 1] * (double)header.Count) + 1;
        var tc = s.TailCount[l];
        if (target < tc)
        {
            s.Tau[l] = s.TailDist[(l * s.Tail) + (int)target];
            return;
        }

        if (tc >= header.Count || CountAtMost(s, l, header.Max, header.Count) <= target)
        {
            s.Tau[l] = float.PositiveInfinity;
            return;
        }

        double lo = tc > 0 ? s.TailDist[(l * s.Tail) + tc - 1] : header.Min;
        double hi = header.Max;
        for (var i = 0; i < 24 && hi > lo; i++)
        {
            var mid = lo > 0 ? Math.Sqrt(lo * hi) : 0.5 * (lo + hi);
            if (CountAtMost(s, l, (float)mid, header.Count) <= target)
            {
                lo = mid;
            }
            else
            {
                hi = mid;
            }
        }

        s.Tau[l] = (float)hi;
    }

    /// <summary>
    /// Builds X's candidate buffer from its full row: walks its nearest songs by distance and stops
    /// once S_X(d) — an upper bound of MP(X, t) — falls below the MP of the buffer's worst entry.
    /// </summary>
    private void BuildCandidates(Shard xs, int xl, int ordinal, float[] distances, NearestSet low, int others)
    {
        xs.CandCount[xl] = 0;
        var m = _options.Candidates;
        var n = xs.Headers[xl].Count;
        var i = 0;
        while (true)
        {
            for (; i < low.Count; i++)
            {
                var d = low.Distance(i);
                if (xs.CandCount[xl] == m && n > 0)
                {
                    // Exact count of X's distances ≤ d: every entry of the low set up to the last equal one.
                    var j = i;
                    while (j + 1 < low.Count && low.Distance(j + 1) == d)
                    {
                        j++;
                    }

                    var worst = xs.CandScore[(xl * m) + m - 1];
                    var survival = 1 - ((j + 1) / (double)n);
                    if (survival < 1 - worst)
                    {
                        return;
                    }
                }

                var t = low.Ordinal(i);
                var (ts, tl) = Locate(t);
                if (NeedsSketch(ts, tl, d))
                {
                    CatchUpForRead(t);
                }

                OfferCandidate(xs, xl, t, d, MpDistance(xs, xl, ts, tl, d));
            }

            if (low.Count >= others)
            {
                return;
            }

            low = SelectNearest(distances, ordinal, low.Count * 4, others);
        }
    }
}

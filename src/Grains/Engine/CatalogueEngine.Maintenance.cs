using OrleansHub.Grains.Distance;
using OrleansHub.Grains.Sketch;

namespace OrleansHub.Grains.Engine;

/// <content>Refresh schedule, deletion, refills, O^k bookkeeping and alerts.</content>
public sealed partial class CatalogueEngine
{
    /// <summary>
    /// Step 5: re-ranks the next max(⌈live / R⌉, min(live, MinRefresh)) songs in round-robin ordinal order, so every MP list is
    /// at most R insertions stale. Re-ranking rescores the buffer ∪ the first m entries of the exact
    /// tail (the m SKL-nearest songs) with the current sketches (parallel, per song), then applies
    /// the O^k deltas in ordinal order.
    /// </summary>
    /// <remarks>
    /// Two phases per song, same result as offering every entry: first the entries whose F_t(d) the
    /// entry's own exact tail answers (d below t's last tail distance); then, of the entries that need
    /// t's sketch, only those whose lower bound MP ≥ F_y + F⁻_t − F_y·F⁻_t (F⁻_t = t's tail size / its
    /// count) does not already exceed the worst score in the full buffer — the worst only improves as
    /// entries are added, so a pruned entry could not have entered. Between the phases a batch
    /// catches up the sketches the second phase reads.
    /// </remarks>
    private void Refresh(int exclude)
    {
        var total = _ids.Count;
        var want = Math.Max((_live + _options.Staleness - 1) / _options.Staleness, Math.Min(_live, _options.MinRefresh));
        var chosen = new List<int>(want);
        for (var step = 0; step < total && chosen.Count < want; step++)
        {
            var y = _refreshCursor;
            _refreshCursor = (_refreshCursor + 1) % total;
            if (y != exclude && IsAliveFast(y))
            {
                chosen.Add(y);
            }
        }

        chosen.Sort();
        CatchUpForRead(chosen);
        var deferred = new List<(int T, float D)>[chosen.Count];
        Parallel.For(0, chosen.Count, _parallel, i =>
        {
            var (s, l) = Locate(chosen[i]);
            deferred[i] = RescoreFromTails(s, l);
        });

        if (_feed is not null)
        {
            var reads = new List<int>();
            foreach (var list in deferred)
            {
                foreach (var (t, _) in list)
                {
                    reads.Add(t);
                }
            }

            CatchUpForRead(reads);
        }

        Parallel.For(0, chosen.Count, _parallel, i =>
        {
            var (s, l) = Locate(chosen[i]);
            foreach (var (t, d) in deferred[i])
            {
                var (ts, tl) = Locate(t);
                OfferCandidate(s, l, t, d, MpDistance(s, l, ts, tl, d));
            }

            RecomputeTau(s, l);
        });
        foreach (var y in chosen)
        {
            var (s, l) = Locate(y);
            UpdateMpList(y, s, l);
        }
    }

    /// <summary>
    /// First phase of re-ranking y (pure per song): rebuilds its buffer from the entries of buffer ∪
    /// the first m tail entries that their own tails answer, and returns the entries that need a sketch and may still enter.
    /// </summary>
    private List<(int T, float D)> RescoreFromTails(Shard s, int l)
    {
        var m = s.Candidates;
        var c = s.CandCount[l];
        var tc = s.TailCount[l];
        Span<int> ords = stackalloc int[m + tc];
        Span<float> dist = stackalloc float[m + tc];
        var count = 0;
        for (var i = 0; i < c; i++)
        {
            ords[count] = s.CandOrd[(l * m) + i];
            dist[count++] = s.CandDist[(l * m) + i];
        }

        var scan = Math.Min(tc, m);
        for (var i = 0; i < scan; i++)
        {
            var t = s.TailOrd[(l * s.Tail) + i];
            if (!ords[..c].Contains(t))
            {
                ords[count] = t;
                dist[count++] = s.TailDist[(l * s.Tail) + i];
            }
        }

        s.CandCount[l] = 0;
        var later = new List<(int T, float D)>();
        for (var i = 0; i < count; i++)
        {
            var (ts, tl) = Locate(ords[i]);
            if (NeedsSketch(ts, tl, dist[i]))
            {
                later.Add((ords[i], dist[i]));
            }
            else
            {
                OfferCandidate(s, l, ords[i], dist[i], MpDistance(s, l, ts, tl, dist[i]));
            }
        }

        if (s.CandCount[l] < m || later.Count == 0)
        {
            return later;
        }

        // Margin: a bound above worst·(1 + 10⁻⁶) puts the float32 score strictly above the worst.
        var worst = (s.CandScore[(l * m) + m - 1] * (1 + 1e-6)) + 1e-12;
        var countY = DistanceCount(s, l);
        later.RemoveAll(e =>
        {
            var (ts, tl) = Locate(e.T);
            var fy = Cdf(s, l, e.D, countY);
            var n = DistanceCount(ts, tl);
            var ft = n == 0 ? 0 : Math.Min(1, ts.TailCount[tl] / (double)n);
            return fy + ft - (fy * ft) > worst;
        });
        return later;
    }

    private void ChangeOccurrence(Metric metric, int ordinal, int delta)
    {
        var (s, l) = Locate(ordinal);
        var occ = metric == Metric.Skl ? s.OccSkl : s.OccMp;
        var tracker = metric == Metric.Skl ? _skl : _mp;
        var before = occ[l];
        occ[l] = before + delta;
        if (s.Alive[l])
        {
            tracker.Change(before, before + delta);
        }

        _touched.Add(ordinal);
    }

    private void CheckAnomaly(int ordinal, long sequence, double median, int others)
    {
        if (others == 0 || !(median > 0))
        {
            return;
        }

        var a = Math.Log(median);
        if (_anomalyCount >= _options.AnomalyMinSongs)
        {
            var sd = Math.Sqrt(_anomalyM2 / _anomalyCount);
            var z = sd > 0 ? (a - _anomalyMean) / sd : 0;
            if (Math.Abs(z) > _options.AnomalyZ)
            {
                _alerts.Add(new AnomalousUpload(sequence, _ids[ordinal], median, z));
            }
        }

        _anomalyCount++;
        var delta = a - _anomalyMean;
        _anomalyMean += delta / _anomalyCount;
        _anomalyM2 += delta * (a - _anomalyMean);
    }

    /// <summary>Hub alerts (hysteresis), suspicious uploads and drift, for the songs whose O^k changed.</summary>
    private void FinishEvent(long sequence)
    {
        var threshold = _options.HubSize * _options.K;
        var recede = _options.HubRecedeFraction * threshold;
        foreach (var t in _touched)
        {
            var (s, l) = Locate(t);
            if (!s.Alive[l])
            {
                continue;
            }

            foreach (var metric in (ReadOnlySpan<Metric>)[Metric.Skl, Metric.Mp])
            {
                var occ = metric == Metric.Skl ? s.OccSkl[l] : s.OccMp[l];
                var flag = metric == Metric.Skl ? Shard.HubSkl : Shard.HubMp;
                var isHub = (s.Flags[l] & flag) != 0;
                if (!isHub && occ >= threshold)
                {
                    s.Flags[l] |= flag;
                    _alerts.Add(new HubEmerged(sequence, _ids[t], metric, occ));
                    if ((s.Flags[l] & Shard.Suspicious) == 0 && sequence - s.InsertedAt[l] <= _options.SuspiciousWindow)
                    {
                        s.Flags[l] |= Shard.Suspicious;
                        _alerts.Add(new SuspiciousUpload(sequence, _ids[t], s.InsertedAt[l], metric, s.OccSkl[l], s.OccMp[l]));
                    }
                }
                else if (isHub && occ < recede)
                {
                    s.Flags[l] &= (byte)~flag;
                    _alerts.Add(new HubReceded(sequence, _ids[t], metric, occ));
                }
            }
        }

        _touched.Clear();
        if (_live < _options.DriftMinSongs)
        {
            return;
        }

        for (var mi = 0; mi < 2; mi++)
        {
            var metric = mi == 0 ? Metric.Skl : Metric.Mp;
            var tracker = mi == 0 ? _skl : _mp;
            Drift(sequence, metric, (mi * 3) + 0, "skewness", tracker.Skewness(), _options.DriftSkewness);
            Drift(sequence, metric, (mi * 3) + 1, "hubShare", (double)tracker.Hubs / _live, _options.DriftHubShare);
            Drift(sequence, metric, (mi * 3) + 2, "antihubShare", (double)tracker.Antihubs / _live, _options.DriftAntihubShare);
        }
    }

    private void Drift(long sequence, Metric metric, int slot, string measure, double value, double threshold)
    {
        var above = value > threshold;
        if (above != _driftState[slot])
        {
            _driftState[slot] = above;
            _alerts.Add(new CatalogueDrift(sequence, metric, measure, value, threshold, above));
        }
    }

    /// <summary>
    /// Distances of song <paramref name="y"/> to every ordinal in canonical orientation (query of the
    /// later song against the row of the earlier one); deleted songs and y itself get NaN.
    /// </summary>
    internal void CanonicalRow(int y, Span<float> destination)
    {
        var total = _ids.Count;
        var (ys, yl) = Locate(y);
        var query = new float[Stride];
        SklPacking.QueryFromRow<float>(ys.Row(yl), query);
        var rowY = ys.Rows.AsMemory(yl * Stride, Stride);
        var result = new float[total];
        Parallel.For(0, _shards.Count, _parallel, si =>
        {
            var s = _shards[si];
            var earlier = Math.Clamp(y - s.First, 0, s.Used);
            if (earlier > 0)
            {
                SklKernel.OneToMany(query, s.Rows.AsSpan(0, earlier * Stride), result.AsSpan(s.First, earlier));
            }

            Span<float> q = stackalloc float[Stride];
            Span<float> one = stackalloc float[1];
            for (var l = Math.Max(earlier, y + 1 - s.First); l < s.Used; l++)
            {
                if (s.Alive[l])
                {
                    SklPacking.QueryFromRow<float>(s.Row(l), q);
                    SklKernel.OneToMany(q, rowY.Span, one);
                    result[s.First + l] = one[0];
                }
            }

            for (var l = 0; l < s.Used; l++)
            {
                if (!s.Alive[l])
                {
                    result[s.First + l] = float.NaN;
                }
            }
        });
        result[y] = float.NaN;
        result.CopyTo(destination);
    }

    private void Delete(DeleteSong delete)
    {
        if (delete.Id is null || !_ordinals.TryGetValue(delete.Id, out var x))
        {
            throw new ArgumentException($"Song '{delete.Id}' does not exist.", nameof(delete));
        }

        var total = _ids.Count;
        var row = new float[total];
        CanonicalRow(x, row);
        var (xs, xl) = Locate(x);
        var k = _options.K;
        for (var i = 0; i < Math.Min(k, xs.TailCount[xl]); i++)
        {
            ChangeOccurrence(Metric.Skl, xs.TailOrd[(xl * _options.Tail) + i], -1);
        }

        for (var i = 0; i < xs.MpCount[xl]; i++)
        {
            ChangeOccurrence(Metric.Mp, xs.MpList[(xl * k) + i], -1);
        }

        xs.TailCount[xl] = 0;
        xs.CandCount[xl] = 0;
        xs.MpCount[xl] = 0;
        _skl.RemoveSong(xs.OccSkl[xl]);
        _mp.RemoveSong(xs.OccMp[xl]);
        xs.Alive[xl] = false;
        _live--;
        _ordinals.Remove(delete.Id);

        var tailHits = new List<(int Y, int Position)>[_shards.Count];
        var bufferHits = new List<int>[_shards.Count];
        Parallel.For(0, _shards.Count, _parallel, si =>
        {
            var s = _shards[si];
            var tails = new List<(int, int)>();
            var buffers = new List<int>();
            for (var l = 0; l < s.Used; l++)
            {
                if (!s.Alive[l])
                {
                    continue;
                }

                SketchOps.Remove(s.KnotsOf(l), s.CountsOf(l), ref s.Headers[l], row[s.First + l]);
                var tail = s.TailOrd.AsSpan(l * s.Tail, s.TailCount[l]);
                var pos = tail.IndexOf(x);
                if (pos >= 0)
                {
                    var c = s.TailCount[l];
                    s.TailOrd.AsSpan((l * s.Tail) + pos + 1, c - pos - 1).CopyTo(s.TailOrd.AsSpan((l * s.Tail) + pos));
                    s.TailDist.AsSpan((l * s.Tail) + pos + 1, c - pos - 1).CopyTo(s.TailDist.AsSpan((l * s.Tail) + pos));
                    s.TailCount[l] = c - 1;
                    tails.Add((s.First + l, pos));
                }

                var cand = s.CandOrd.AsSpan(l * s.Candidates, s.CandCount[l]);
                var cp = cand.IndexOf(x);
                if (cp >= 0)
                {
                    var c = s.CandCount[l];
                    var b = l * s.Candidates;
                    s.CandOrd.AsSpan(b + cp + 1, c - cp - 1).CopyTo(s.CandOrd.AsSpan(b + cp));
                    s.CandDist.AsSpan(b + cp + 1, c - cp - 1).CopyTo(s.CandDist.AsSpan(b + cp));
                    s.CandScore.AsSpan(b + cp + 1, c - cp - 1).CopyTo(s.CandScore.AsSpan(b + cp));
                    s.CandCount[l] = c - 1;
                    buffers.Add(s.First + l);
                }
            }

            tailHits[si] = tails;
            bufferHits[si] = buffers;
        });

        var refill = new SortedSet<int>();
        foreach (var list in tailHits)
        {
            foreach (var (y, pos) in list)
            {
                var (s, l) = Locate(y);
                if (pos < k && s.TailCount[l] >= k)
                {
                    ChangeOccurrence(Metric.Skl, s.TailOrd[(l * s.Tail) + k - 1], +1);
                }

                if (s.TailCount[l] < Math.Max(k, s.Tail / 2) && s.Headers[l].Count > s.TailCount[l])
                {
                    refill.Add(y);
                }
            }
        }

        foreach (var list in bufferHits)
        {
            foreach (var y in list)
            {
                var (s, l) = Locate(y);
                UpdateMpList(y, s, l);
                RecomputeTau(s, l);
                if (s.CandCount[l] < s.Candidates / 2 && s.Headers[l].Count > s.CandCount[l])
                {
                    refill.Add(y);
                }
            }
        }

        foreach (var y in refill)
        {
            Refill(y);
        }

        _lastSequence = delete.Sequence;
        FinishEvent(delete.Sequence);
    }

    /// <summary>Rebuilds y's exact tail, SKL list and candidate buffer from its full row (after deletions ran them low).</summary>
    private void Refill(int y)
    {
        var total = _ids.Count;
        var row = new float[total];
        CanonicalRow(y, row);
        var (s, l) = Locate(y);
        var others = (int)s.Headers[l].Count;
        var k = _options.K;
        var oldSkl = s.TailOrd.AsSpan(l * s.Tail, Math.Min(k, s.TailCount[l])).ToArray();
        var low = SelectNearest(row, total, Math.Max(Math.Max(LowSetMinimum, 4 * _options.Candidates), _options.Quantiles), others);
        var tc = Math.Min(s.Tail, low.Count);
        for (var i = 0; i < tc; i++)
        {
            s.TailDist[(l * s.Tail) + i] = low.Distance(i);
            s.TailOrd[(l * s.Tail) + i] = low.Ordinal(i);
        }

        s.TailCount[l] = tc;
        var fresh = s.TailOrd.AsSpan(l * s.Tail, Math.Min(k, tc));
        foreach (var t in oldSkl)
        {
            if (!fresh.Contains(t))
            {
                ChangeOccurrence(Metric.Skl, t, -1);
            }
        }

        foreach (var t in fresh)
        {
            if (!oldSkl.AsSpan().Contains(t))
            {
                ChangeOccurrence(Metric.Skl, t, +1);
            }
        }

        BuildCandidates(s, l, total, row, low, others);
        UpdateMpList(y, s, l);
        RecomputeTau(s, l);
    }
}

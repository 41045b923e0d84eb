namespace OrleansHub.Grains.Analysis;

/// <summary>
/// Exact empiric-MP k-NN lists without the cubic loop.
/// </summary>
/// <remarks>
/// For a query x, the empiric count c(x,t) = |{j : G[x,j] &lt; G[x,t]} ∩ {j : G[t,j] &lt; G[t,x]}| is
/// bounded above by U(x,t) = min(G[x,t], G[t,x]) (the smaller of the two sets). Candidates are
/// visited in decreasing U (counting sort, O(n)); each is counted exactly by a vectorised scan of
/// two rank rows (O(n/32)); the search stops as soon as the next bound is below the k-th best exact
/// count, or equal to it while the candidate would lose the tie-break anyway. Every song that could
/// still enter the list is therefore counted, so the lists are exact, and ties follow the spec's
/// rule (count, then base distance, then ordinal). Cost: O(n) per query plus O(n) per counted
/// candidate; mutual near neighbours have large bounds and are found first.
/// </remarks>
public static class EmpiricSearch
{
    /// <summary>Exact empiric-MP lists of length min(k, n − 1).</summary>
    public static NeighbourLists Neighbours(DistanceMatrix distances, RankMatrix ranks, int k, int maxDegreeOfParallelism = -1)
    {
        ArgumentNullException.ThrowIfNull(distances);
        ArgumentNullException.ThrowIfNull(ranks);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        var n = distances.Count;
        var kk = NeighbourLists.EffectiveK(k, n);
        var result = new int[n * kk];
        if (kk == 0)
        {
            return new NeighbourLists(n, kk, result);
        }

        Parallel.For(
            0,
            n,
            new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism },
            () => new Workspace(n, kk),
            (x, _, ws) =>
            {
                Search(distances, ranks, x, ws);
                ws.Top.CopyTo(result.AsSpan(x * kk, kk));
                return ws;
            },
            _ => { });
        return new NeighbourLists(n, kk, result);
    }

    /// <summary>The exact empiric list of song x, left in ws.Top.</summary>
    private static void Search(DistanceMatrix distances, RankMatrix ranks, int x, Workspace ws)
    {
        var n = distances.Count;
        var bound = ws.Bound;
        ranks.UpperBounds(x, bound);

        // Counting sort of candidates by bound, descending (bounds lie in 0..n−2; x has −1).
        var bucketStart = ws.BucketStart;
        Array.Clear(bucketStart);
        for (var t = 0; t < n; t++)
        {
            if (t != x)
            {
                bucketStart[n - 2 - bound[t]]++;
            }
        }

        var running = 0;
        for (var b = 0; b < bucketStart.Length; b++)
        {
            var c = bucketStart[b];
            bucketStart[b] = running;
            running += c;
        }

        var order = ws.Order;
        for (var t = 0; t < n; t++)
        {
            if (t != x)
            {
                order[bucketStart[n - 2 - bound[t]]++] = t;
            }
        }

        var top = ws.Top;
        top.Clear();
        var row = distances.Row(x);
        for (var i = 0; i < n - 1; i++)
        {
            var t = order[i];
            double u = bound[t];
            if (top.IsFull)
            {
                if (u < top.WorstScore)
                {
                    break;
                }

                if (!top.WouldAccept(u, row[t], t))
                {
                    continue;
                }
            }

            top.Offer(ranks.EmpiricCount(x, t), row[t], t);
        }
    }

    private sealed class Workspace(int n, int k)
    {
        public int[] Bound { get; } = new int[n];

        public int[] BucketStart { get; } = new int[Math.Max(1, n - 1)];

        public int[] Order { get; } = new int[n];

        public TopK Top { get; } = new(k);
    }
}

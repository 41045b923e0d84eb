namespace OrleansHub.Grains.Analysis;

/// <summary>Hubness of one neighbour relation (SPEC §1).</summary>
/// <param name="Count">Number of songs n.</param>
/// <param name="K">List length k.</param>
/// <param name="HubSize">Hub factor h: a hub has O^k ≥ h·k.</param>
/// <param name="Occurrence">O^k per song, in song order.</param>
/// <param name="Hubs">Songs with O^k ≥ h·k.</param>
/// <param name="Antihubs">Songs with O^k = 0.</param>
/// <param name="MaxOccurrence">Largest O^k (0 for an empty catalogue).</param>
/// <param name="Skewness">Biased sample skewness of O^k; 0 when all O^k are equal or n = 0.</param>
/// <param name="RobinHood">½·Σ|O^k − k| / Σ O^k; 0 when Σ O^k = 0.</param>
/// <param name="Gini">Σᵢ Σⱼ |Oᵢ − Oⱼ| / (2·n²·k); 0 when n = 0 or k = 0.</param>
public sealed record HubnessReport(
    int Count,
    int K,
    int HubSize,
    int[] Occurrence,
    int Hubs,
    int Antihubs,
    int MaxOccurrence,
    double Skewness,
    double RobinHood,
    double Gini)
{
    /// <summary>Hubs as a share of n (0 for an empty catalogue).</summary>
    public double HubShare => Count == 0 ? 0 : (double)Hubs / Count;

    /// <summary>Anti-hubs as a share of n (0 for an empty catalogue).</summary>
    public double AntihubShare => Count == 0 ? 0 : (double)Antihubs / Count;
}

/// <summary>Hubness measures of k-NN lists, computed exactly from integer occurrence counts.</summary>
public static class HubnessMeasures
{
    /// <summary>k-occurrence: O^k(x) = number of lists that contain x.</summary>
    public static int[] Occurrence(NeighbourLists lists)
    {
        ArgumentNullException.ThrowIfNull(lists);
        var occurrence = new int[lists.Count];
        foreach (var t in lists.Flat)
        {
            occurrence[t]++;
        }

        return occurrence;
    }

    /// <summary>
    /// All measures of SPEC §1 from the lists. k is the list length used for the hub threshold,
    /// Robin Hood and Gini (the requested k; lists are never shorter unless k ≥ n).
    /// </summary>
    /// <remarks>
    /// Sums of O^k, |O^k − k| and |Oᵢ − Oⱼ| are exact 64-bit integers (Gini via the sorted form
    /// Σᵢ (2i − n + 1)·O₍ᵢ₎, O(n log n)); central moments for the skewness are accumulated in
    /// float64 around the exact rational mean, relative error ~1e-15.
    /// </remarks>
    public static HubnessReport Compute(NeighbourLists lists, int k, int hubSize)
    {
        ArgumentNullException.ThrowIfNull(lists);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(hubSize);
        return FromOccurrence(Occurrence(lists), k, hubSize);
    }

    /// <summary>Measures from a vector of k-occurrences.</summary>
    public static HubnessReport FromOccurrence(int[] occurrence, int k, int hubSize)
    {
        ArgumentNullException.ThrowIfNull(occurrence);
        var n = occurrence.Length;
        long threshold = (long)hubSize * k;
        int hubs = 0, antihubs = 0, max = 0;
        long sum = 0, absDev = 0;
        foreach (var o in occurrence)
        {
            if (o >= threshold)
            {
                hubs++;
            }

            if (o == 0)
            {
                antihubs++;
            }

            max = Math.Max(max, o);
            sum += o;
            absDev += Math.Abs(o - (long)k);
        }

        var skewness = 0.0;
        if (n > 0)
        {
            var mean = (double)sum / n;
            double m2 = 0, m3 = 0;
            foreach (var o in occurrence)
            {
                var dev = o - mean;
                m2 += dev * dev;
                m3 += dev * dev * dev;
            }

            m2 /= n;
            m3 /= n;
            skewness = m2 > 0 ? m3 / Math.Pow(m2, 1.5) : 0;
        }

        var robinHood = sum == 0 ? 0 : 0.5 * absDev / sum;

        var gini = 0.0;
        if (n > 0)
        {
            var sorted = (int[])occurrence.Clone();
            Array.Sort(sorted);
            long pairSum = 0; // Σᵢ Σⱼ |Oᵢ − Oⱼ| = 2 Σᵢ (2i − n + 1) O₍ᵢ₎
            for (var i = 0; i < n; i++)
            {
                pairSum += ((2L * i) - n + 1) * sorted[i];
            }

            pairSum *= 2;
            gini = pairSum / (2.0 * n * (double)n * k);
        }

        return new HubnessReport(n, k, hubSize, occurrence, hubs, antihubs, max, skewness, robinHood, gini);
    }

    /// <summary>
    /// Retrieval precision R^k: mean over songs q with at least one label of the mean Jaccard overlap
    /// |G(q)∩G(c)| / |G(q)∪G(c)| over q's neighbours c (unlabelled neighbours count 0).
    /// Null when no song is labelled.
    /// </summary>
    public static double? RetrievalAccuracy(NeighbourLists lists, IReadOnlyList<IReadOnlySet<string>> labels)
    {
        ArgumentNullException.ThrowIfNull(lists);
        ArgumentNullException.ThrowIfNull(labels);
        CheckLabels(lists, labels);
        double total = 0;
        var queries = 0;
        for (var q = 0; q < lists.Count; q++)
        {
            var gq = labels[q];
            if (gq.Count == 0 || lists.K == 0)
            {
                continue;
            }

            double perQuery = 0;
            foreach (var c in lists[q])
            {
                var gc = labels[c];
                var intersection = 0;
                foreach (var g in gq)
                {
                    if (gc.Contains(g))
                    {
                        intersection++;
                    }
                }

                var union = gq.Count + gc.Count - intersection;
                perQuery += (double)intersection / union;
            }

            total += perQuery / lists.K;
            queries++;
        }

        return queries == 0 ? null : total / queries;
    }

    /// <summary>
    /// Leave-one-out k-NN genre classification accuracy: each labelled song q is classified by a
    /// majority vote of its neighbours (every label of a neighbour is one vote); a tie between
    /// labels goes to the label held by the nearer neighbour, then to the ordinal string order.
    /// Correct when the winning label is one of q's labels. Neighbours without labels cast no
    /// vote; a query whose neighbours cast no vote counts as wrong. Null when no song is labelled.
    /// </summary>
    public static double? KnnAccuracy(NeighbourLists lists, IReadOnlyList<IReadOnlySet<string>> labels)
    {
        ArgumentNullException.ThrowIfNull(lists);
        ArgumentNullException.ThrowIfNull(labels);
        CheckLabels(lists, labels);
        var correct = 0;
        var queries = 0;
        var votes = new Dictionary<string, (int Votes, int FirstRank)>(StringComparer.Ordinal);
        for (var q = 0; q < lists.Count; q++)
        {
            if (labels[q].Count == 0)
            {
                continue;
            }

            queries++;
            votes.Clear();
            var rank = 0;
            foreach (var c in lists[q])
            {
                foreach (var g in labels[c])
                {
                    votes[g] = votes.TryGetValue(g, out var v) ? (v.Votes + 1, v.FirstRank) : (1, rank);
                }

                rank++;
            }

            string? winner = null;
            (int Votes, int FirstRank) best = (0, int.MaxValue);
            foreach (var (label, v) in votes)
            {
                if (v.Votes > best.Votes
                    || (v.Votes == best.Votes && v.FirstRank < best.FirstRank)
                    || (v.Votes == best.Votes && v.FirstRank == best.FirstRank && string.CompareOrdinal(label, winner) < 0))
                {
                    winner = label;
                    best = v;
                }
            }

            if (winner is not null && labels[q].Contains(winner))
            {
                correct++;
            }
        }

        return queries == 0 ? null : (double)correct / queries;
    }

    private static void CheckLabels(NeighbourLists lists, IReadOnlyList<IReadOnlySet<string>> labels)
    {
        if (labels.Count != lists.Count)
        {
            throw new ArgumentException($"Expected labels for {lists.Count} songs, got {labels.Count}.", nameof(labels));
        }
    }
}

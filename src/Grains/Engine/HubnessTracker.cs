namespace OrleansHub.Grains.Engine;

/// <summary>
/// Catalogue-level hubness measures of one relation, maintained incrementally from O^k changes:
/// exact integer power sums (Σ O, Σ O², Σ O³), Σ|O − k|, hub and anti-hub counts and a histogram
/// of O^k values (for the maximum and the Gini index). Every update is O(1) amortised.
/// </summary>
internal sealed class HubnessTracker
{
    private readonly int _k;
    private readonly int _hubThreshold;
    private long[] _histogram = new long[64];

    public HubnessTracker(int k, int hubSize)
    {
        _k = k;
        _hubThreshold = hubSize * k;
    }

    public long Count { get; private set; }

    public long Sum1 { get; private set; }

    public long Sum2 { get; private set; }

    public long Sum3 { get; private set; }

    public long SumAbsDeviation { get; private set; }

    public long Hubs { get; private set; }

    public long Antihubs { get; private set; }

    public int Max { get; private set; }

    public void AddSong(int occurrence)
    {
        Count++;
        Enter(occurrence);
    }

    public void RemoveSong(int occurrence)
    {
        Leave(occurrence);
        Count--;
    }

    public void Change(int from, int to)
    {
        if (from != to)
        {
            Leave(from);
            Enter(to);
        }
    }

    /// <summary>Biased sample skewness of O^k (0 when n = 0 or all values are equal).</summary>
    public double Skewness()
    {
        if (Count == 0)
        {
            return 0;
        }

        double n = Count;
        var mean = Sum1 / n;
        var m2 = (Sum2 / n) - (mean * mean);
        if (m2 <= 1e-12)
        {
            return 0;
        }

        var m3 = (Sum3 / n) - (3 * mean * Sum2 / n) + (2 * mean * mean * mean);
        return m3 / Math.Pow(m2, 1.5);
    }

    /// <summary>Robin Hood index ½·Σ|O − k| / Σ O (0 when Σ O = 0).</summary>
    public double RobinHood() => Sum1 == 0 ? 0 : 0.5 * SumAbsDeviation / Sum1;

    /// <summary>Gini index Σᵢ Σⱼ |Oᵢ − Oⱼ| / (2·n²·k) from the histogram, O(max O^k).</summary>
    public double Gini()
    {
        if (Count == 0)
        {
            return 0;
        }

        // Sorted form: Σᵢ (2i − n + 1)·O₍ᵢ₎ over ascending order, i = 0..n−1; a run of c equal values v
        // starting at rank r contributes v·Σ_{i=r}^{r+c−1}(2i − n + 1) = v·c·(2r + c − 1 − n + 1).
        double total = 0;
        long rank = 0;
        for (var v = 0; v <= Max; v++)
        {
            var c = _histogram[v];
            if (c == 0)
            {
                continue;
            }

            total += (double)v * c * ((2 * rank) + c - Count);
            rank += c;
        }

        return 2 * total / (2.0 * Count * Count * _k);
    }

    public long CountAt(int occurrence) => occurrence < _histogram.Length ? _histogram[occurrence] : 0;

    private void Enter(int o)
    {
        if (o >= _histogram.Length)
        {
            Array.Resize(ref _histogram, Math.Max(o + 1, _histogram.Length * 2));
        }

        _histogram[o]++;
        Sum1 += o;
        Sum2 += (long)o * o;
        Sum3 += (long)o * o * o;
        SumAbsDeviation += Math.Abs(o - _k);
        if (o >= _hubThreshold)
        {
            Hubs++;
        }

        if (o == 0)
        {
            Antihubs++;
        }

        Max = Math.Max(Max, o);
    }

    private void Leave(int o)
    {
        _histogram[o]--;
        Sum1 -= o;
        Sum2 -= (long)o * o;
        Sum3 -= (long)o * o * o;
        SumAbsDeviation -= Math.Abs(o - _k);
        if (o >= _hubThreshold)
        {
            Hubs--;
        }

        if (o == 0)
        {
            Antihubs--;
        }

        while (Max > 0 && _histogram[Max] == 0)
        {
            Max--;
        }
    }
}

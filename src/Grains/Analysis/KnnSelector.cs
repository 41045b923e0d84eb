namespace OrleansHub.Grains.Analysis;

/// <summary>
/// Scores a candidate neighbour t of song x. Higher <see cref="Score"/> is nearer. Ties are broken
/// by <see cref="Base"/> (smaller first: the base distance, D_SKL for SKL catalogues), then by the
/// insertion ordinal t (smaller first). This is the spec's deterministic tie rule.
/// </summary>
public interface IPairScore
{
    /// <summary>Primary key: higher is nearer (for a distance d use −d; for MP use MP itself).</summary>
    double Score(int x, int t);

    /// <summary>Secondary key: the base distance d(x, t); smaller is nearer.</summary>
    double Base(int x, int t);
}

/// <summary>
/// Exact k-NN selection under <see cref="IPairScore"/> with the deterministic tie rule.
/// </summary>
public static class KnnSelector
{
    /// <summary>
    /// Selects for every song its min(k, n−1) nearest other songs, nearest first. Cost O(n²·k) worst
    /// case, O(n²) typical; parallel over songs with a result independent of the degree of parallelism.
    /// </summary>
    public static NeighbourLists Select<TScore>(int count, int k, TScore score, int maxDegreeOfParallelism = -1)
        where TScore : IPairScore
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        var kk = NeighbourLists.EffectiveK(k, count);
        var result = new int[count * kk];
        if (kk == 0)
        {
            return new NeighbourLists(count, kk, result);
        }

        Parallel.For(
            0,
            count,
            new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism },
            () => new TopK(kk),
            (x, _, top) =>
            {
                top.Clear();
                for (var t = 0; t < count; t++)
                {
                    if (t != x)
                    {
                        top.Offer(score.Score(x, t), score.Base(x, t), t);
                    }
                }

                top.CopyTo(result.AsSpan(x * kk, kk));
                return top;
            },
            _ => { });
        return new NeighbourLists(count, kk, result);
    }
}

/// <summary>
/// A bounded best-first buffer of (score, base, index) under the tie rule of <see cref="IPairScore"/>.
/// Insertion is O(k); for the small k of recommendation lists this beats a heap.
/// </summary>
public sealed class TopK
{
    private readonly double[] _score;
    private readonly double[] _base;
    private readonly int[] _index;

    /// <summary>A buffer keeping the best <paramref name="capacity"/> entries.</summary>
    public TopK(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Capacity = capacity;
        _score = new double[capacity];
        _base = new double[capacity];
        _index = new int[capacity];
    }

    /// <summary>Maximum number of entries kept.</summary>
    public int Capacity { get; }

    /// <summary>Entries currently held.</summary>
    public int Count { get; private set; }

    /// <summary>True when the buffer holds <see cref="Capacity"/> entries.</summary>
    public bool IsFull => Count == Capacity;

    /// <summary>Score of the worst entry held (only meaningful when <see cref="IsFull"/>).</summary>
    public double WorstScore => _score[Count - 1];

    /// <summary>Empties the buffer.</summary>
    public void Clear() => Count = 0;

    /// <summary>True when (score, base, index) ranks before the entry at position <paramref name="position"/>.</summary>
    public bool Beats(double score, double baseDistance, int index, int position) =>
        score > _score[position]
        || (score == _score[position]
            && (baseDistance < _base[position] || (baseDistance == _base[position] && index < _index[position])));

    /// <summary>True when the candidate would enter the buffer.</summary>
    public bool WouldAccept(double score, double baseDistance, int index) =>
        Count < Capacity || Beats(score, baseDistance, index, Count - 1);

    /// <summary>Offers a candidate; keeps it if it ranks among the best <see cref="Capacity"/>.</summary>
    public void Offer(double score, double baseDistance, int index)
    {
        int pos;
        if (Count < Capacity)
        {
            pos = Count++;
        }
        else if (Beats(score, baseDistance, index, Count - 1))
        {
            pos = Count - 1;
        }
        else
        {
            return;
        }

        while (pos > 0 && Beats(score, baseDistance, index, pos - 1))
        {
            _score[pos] = _score[pos - 1];
            _base[pos] = _base[pos - 1];
            _index[pos] = _index[pos - 1];
            pos--;
        }

        _score[pos] = score;
        _base[pos] = baseDistance;
        _index[pos] = index;
    }

    /// <summary>Copies the indices held, best first.</summary>
    public void CopyTo(Span<int> destination) => _index.AsSpan(0, Count).CopyTo(destination);
}

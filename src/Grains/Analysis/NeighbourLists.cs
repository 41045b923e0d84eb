namespace OrleansHub.Grains.Analysis;

/// <summary>
/// k-nearest-neighbour lists of n songs: row x holds x's neighbours nearest first. Every row has
/// the same length <see cref="K"/> = min(k requested, n − 1).
/// </summary>
public sealed class NeighbourLists
{
    private readonly int[] _indices;

    /// <summary>Wraps a row-major n×k array of song indices.</summary>
    public NeighbourLists(int count, int k, int[] indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        if ((long)count * k != indices.Length)
        {
            throw new ArgumentException($"Expected {count}x{k} indices, got {indices.Length}.", nameof(indices));
        }

        Count = count;
        K = k;
        _indices = indices;
    }

    /// <summary>Number of songs n.</summary>
    public int Count { get; }

    /// <summary>Length of every list.</summary>
    public int K { get; }

    /// <summary>The neighbours of song x, nearest first.</summary>
    public ReadOnlySpan<int> this[int x] => _indices.AsSpan(x * K, K);

    /// <summary>All lists, row-major.</summary>
    public ReadOnlySpan<int> Flat => _indices;

    /// <summary>The effective list length for k requested neighbours among n songs: min(k, n − 1), never negative.</summary>
    public static int EffectiveK(int k, int count) => Math.Max(0, Math.Min(k, count - 1));
}

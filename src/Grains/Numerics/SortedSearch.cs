using System.Numerics;

namespace OrleansHub.Grains;

/// <summary>Binary searches over ascending spans.</summary>
public static class SortedSearch
{
    /// <summary>
    /// Number of leading elements ≤ <paramref name="value"/>, i.e. the index of the first element
    /// greater than it (upper bound). O(log n); the span must be sorted ascending.
    /// </summary>
    public static int CountAtMost<T>(ReadOnlySpan<T> sorted, T value)
        where T : IComparisonOperators<T, T, bool>
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (sorted[mid] <= value)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }
}

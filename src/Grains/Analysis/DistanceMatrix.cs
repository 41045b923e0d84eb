namespace OrleansHub.Grains.Analysis;

/// <summary>
/// A dense n×n matrix of pairwise distances in float64, row-major: <c>this[x, t]</c> is d(x, t).
/// Rows are songs in insertion order (row index = insertion ordinal). The diagonal is ignored by
/// every computation (a song is never its own neighbour and never counts in MP).
/// </summary>
public sealed class DistanceMatrix
{
    private readonly double[] _values;

    private DistanceMatrix(double[] values, int count)
    {
        _values = values;
        Count = count;
    }

    /// <summary>Number of songs n.</summary>
    public int Count { get; }

    /// <summary>The row-major values (length n²).</summary>
    public ReadOnlySpan<double> Values => _values;

    /// <summary>d(x, t).</summary>
    public double this[int x, int t] => _values[((long)x * Count) + t];

    /// <summary>Row x: the distances from song x to every song.</summary>
    public ReadOnlySpan<double> Row(int x) => _values.AsSpan((int)((long)x * Count), Count);

    /// <summary>
    /// Wraps a row-major n×n array without copying. Every off-diagonal value must be finite; the
    /// diagonal may hold anything finite (it is never read as a distance).
    /// </summary>
    /// <exception cref="ArgumentException">The length is not n² or a value is NaN or infinite (the message names the first one).</exception>
    public static DistanceMatrix Create(double[] values, int count)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if ((long)count * count != values.LongLength)
        {
            throw new ArgumentException($"A {count}x{count} matrix needs {(long)count * count} values, got {values.LongLength}.", nameof(values));
        }

        for (long i = 0; i < values.LongLength; i++)
        {
            if (!double.IsFinite(values[i]))
            {
                throw new ArgumentException($"Distance at row {i / count}, column {i % count} is {values[i]}; every distance must be a finite number.", nameof(values));
            }
        }

        return new DistanceMatrix(values, count);
    }
}

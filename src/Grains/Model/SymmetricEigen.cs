namespace OrleansHub.Grains.Model;

/// <summary>
/// Eigen-decomposition of a small dense symmetric matrix by the cyclic Jacobi method.
/// </summary>
/// <remarks>
/// Jacobi rotations are chosen for determinism and accuracy rather than speed: every
/// rotation is orthogonal, so eigenvalues are obtained with an absolute error of a few
/// units in the last place of the matrix norm, and the result does not depend on the
/// thread or the machine. Cost is O(n³) per sweep with 6–10 sweeps for n = 20, i.e. a few
/// tens of microseconds; it runs once per song.
/// </remarks>
public static class SymmetricEigen
{
    private const int MaxSweeps = 100;

    /// <summary>
    /// Decomposes the symmetric matrix <paramref name="matrix"/> (row-major, n×n; only its
    /// symmetric part is used) as V·diag(values)·Vᵀ.
    /// </summary>
    /// <param name="matrix">Row-major n×n input; not modified.</param>
    /// <param name="n">Order of the matrix.</param>
    /// <param name="values">Receives the n eigenvalues, in no particular order.</param>
    /// <param name="vectors">Receives V row-major: column j is the eigenvector of values[j].</param>
    /// <exception cref="ArgumentException">Spans of the wrong length or non-finite input.</exception>
    public static void Decompose(ReadOnlySpan<double> matrix, int n, Span<double> values, Span<double> vectors)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        if (matrix.Length != n * n || vectors.Length != n * n || values.Length != n)
        {
            throw new ArgumentException($"Expected a {n}x{n} matrix, {n} values and a {n}x{n} vector buffer.");
        }

        var a = new double[n * n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                var v = 0.5 * (matrix[(i * n) + j] + matrix[(j * n) + i]);
                if (!double.IsFinite(v))
                {
                    throw new ArgumentException($"Matrix entry ({i},{j}) is not finite.", nameof(matrix));
                }

                a[(i * n) + j] = v;
            }
        }

        vectors.Clear();
        for (var i = 0; i < n; i++)
        {
            vectors[(i * n) + i] = 1.0;
        }

        for (var sweep = 0; sweep < MaxSweeps; sweep++)
        {
            double off = 0, diag = 0;
            for (var i = 0; i < n; i++)
            {
                diag += a[(i * n) + i] * a[(i * n) + i];
                for (var j = i + 1; j < n; j++)
                {
                    off += a[(i * n) + j] * a[(i * n) + j];
                }
            }

            if (off == 0 || off <= 1e-36 * diag)
            {
                break;
            }

            for (var p = 0; p < n - 1; p++)
            {
                for (var q = p + 1; q < n; q++)
                {
                    var apq = a[(p * n) + q];
                    if (apq == 0)
                    {
                        continue;
                    }

                    var app = a[(p * n) + p];
                    var aqq = a[(q * n) + q];
                    var theta = (aqq - app) / (2 * apq);
                    var t = Math.Sign(theta) / (Math.Abs(theta) + Math.Sqrt((theta * theta) + 1));
                    if (theta == 0)
                    {
                        t = 1;
                    }

                    var c = 1 / Math.Sqrt((t * t) + 1);
                    var s = t * c;
                    for (var k = 0; k < n; k++)
                    {
                        var akp = a[(k * n) + p];
                        var akq = a[(k * n) + q];
                        a[(k * n) + p] = (c * akp) - (s * akq);
                        a[(k * n) + q] = (s * akp) + (c * akq);
                    }

                    for (var k = 0; k < n; k++)
                    {
                        var apk = a[(p * n) + k];
                        var aqk = a[(q * n) + k];
                        a[(p * n) + k] = (c * apk) - (s * aqk);
                        a[(q * n) + k] = (s * apk) + (c * aqk);
                    }

                    a[(p * n) + q] = 0;
                    a[(q * n) + p] = 0;
                    for (var k = 0; k < n; k++)
                    {
                        var vkp = vectors[(k * n) + p];
                        var vkq = vectors[(k * n) + q];
                        vectors[(k * n) + p] = (c * vkp) - (s * vkq);
                        vectors[(k * n) + q] = (s * vkp) + (c * vkq);
                    }
                }
            }
        }

        for (var i = 0; i < n; i++)
        {
            values[i] = a[(i * n) + i];
        }
    }
}

namespace OrleansHub.Grains.Tests.Analysis;

/// <summary>
/// Independent plain-loop implementations of SPEC §1, written from the definitions and sharing no
/// code with the fast paths: full sorts instead of selection, literal set counting instead of
/// ranks, double loops instead of sorted sums.
/// </summary>
internal static class PlainReference
{
    /// <summary>k-NN by full sort: higher score first, then smaller base distance, then smaller index.</summary>
    public static int[][] Knn(double[,] d, int k, Func<int, int, double> score)
    {
        var n = d.GetLength(0);
        var lists = new int[n][];
        for (var x = 0; x < n; x++)
        {
            lists[x] = KnnOf(d, x, k, score);
        }

        return lists;
    }

    /// <summary>The k-NN list of one song x by full sort (see <see cref="Knn"/>).</summary>
    public static int[] KnnOf(double[,] d, int x, int k, Func<int, int, double> score)
    {
        var n = d.GetLength(0);
        var candidates = Enumerable.Range(0, n).Where(t => t != x).ToList();
        candidates.Sort((a, b) =>
        {
            var sa = score(x, a);
            var sb = score(x, b);
            if (sa != sb)
            {
                return sb.CompareTo(sa);
            }

            if (d[x, a] != d[x, b])
            {
                return d[x, a].CompareTo(d[x, b]);
            }

            return a.CompareTo(b);
        });
        return candidates.Take(Math.Min(k, n - 1)).ToArray();
    }

    public static double Distance(double[,] d, int x, int t) => -d[x, t];

    /// <summary>Empiric MP count: |{j : d(x,j) > d(x,t)} ∩ {j : d(t,j) > d(t,x)}|, j ∉ {x, t}.</summary>
    public static double EmpiricCount(double[,] d, int x, int t)
    {
        var n = d.GetLength(0);
        var count = 0;
        for (var j = 0; j < n; j++)
        {
            if (j != x && j != t && d[x, j] > d[x, t] && d[t, j] > d[t, x])
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>Fx(v) = |{j ≠ x : d(x,j) ≤ v}| / (n−1).</summary>
    public static double EmpiricalCdf(double[,] d, int x, double v)
    {
        var n = d.GetLength(0);
        var count = 0;
        for (var j = 0; j < n; j++)
        {
            if (j != x && d[x, j] <= v)
            {
                count++;
            }
        }

        return (double)count / (n - 1);
    }

    /// <summary>Independent MP scaled by (n−1)² so that it is an exact integer product.</summary>
    public static double IndependentScaled(double[,] d, int x, int t)
    {
        var n = d.GetLength(0);
        var fx = Math.Round((1 - EmpiricalCdf(d, x, d[x, t])) * (n - 1));
        var ft = Math.Round((1 - EmpiricalCdf(d, t, d[t, x])) * (n - 1));
        return fx * ft;
    }

    public static (double Mean, double Sd) Moments(double[,] d, int x)
    {
        var n = d.GetLength(0);
        var values = Enumerable.Range(0, n).Where(j => j != x).Select(j => d[x, j]).ToArray();
        double sum = 0;
        foreach (var v in values)
        {
            sum += v;
        }

        var mean = sum / values.Length;
        double ss = 0;
        foreach (var v in values)
        {
            ss += (v - mean) * (v - mean);
        }

        return (mean, Math.Sqrt(ss / values.Length));
    }

    public static double NormalSf(double v, double mean, double sd) =>
        sd > 0 ? 0.5 * MathNet.Numerics.SpecialFunctions.Erfc((v - mean) / (sd * Math.Sqrt(2))) : v < mean ? 1 : v == mean ? 0.5 : 0;

    public static int[] Occurrence(int[][] lists, int n)
    {
        var o = new int[n];
        for (var x = 0; x < lists.Length; x++)
        {
            for (var i = 0; i < lists[x].Length; i++)
            {
                o[lists[x][i]] += 1;
            }
        }

        return o;
    }

    public static double Skewness(int[] o)
    {
        var n = o.Length;
        var mean = o.Average();
        var m2 = o.Sum(v => Math.Pow(v - mean, 2)) / n;
        var m3 = o.Sum(v => Math.Pow(v - mean, 3)) / n;
        return m2 == 0 ? 0 : m3 / Math.Pow(m2, 1.5);
    }

    public static double RobinHood(int[] o, int k)
    {
        double num = 0, den = 0;
        foreach (var v in o)
        {
            num += Math.Abs(v - k);
            den += v;
        }

        return den == 0 ? 0 : 0.5 * num / den;
    }

    public static double Gini(int[] o, int k)
    {
        var n = o.Length;
        double s = 0;
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                s += Math.Abs(o[i] - o[j]);
            }
        }

        return s / (2.0 * n * n * k);
    }

    public static double? RetrievalAccuracy(int[][] lists, string[][] labels)
    {
        var perQuery = new List<double>();
        for (var q = 0; q < lists.Length; q++)
        {
            if (labels[q].Length == 0)
            {
                continue;
            }

            var jaccards = lists[q].Select(c =>
            {
                var inter = labels[q].Intersect(labels[c]).Count();
                var union = labels[q].Union(labels[c]).Count();
                return (double)inter / union;
            });
            perQuery.Add(jaccards.Average());
        }

        return perQuery.Count == 0 ? null : perQuery.Average();
    }

    /// <summary>Majority vote; ties to the label of the nearer neighbour, then ordinal label order.</summary>
    public static double? KnnAccuracy(int[][] lists, string[][] labels)
    {
        int queries = 0, correct = 0;
        for (var q = 0; q < lists.Length; q++)
        {
            if (labels[q].Length == 0)
            {
                continue;
            }

            queries++;
            var candidates = lists[q]
                .SelectMany((c, rank) => labels[c].Select(g => (Label: g, Rank: rank)))
                .GroupBy(v => v.Label)
                .Select(g => (Label: g.Key, Votes: g.Count(), First: g.Min(v => v.Rank)))
                .OrderByDescending(v => v.Votes).ThenBy(v => v.First).ThenBy(v => v.Label, StringComparer.Ordinal)
                .ToList();
            if (candidates.Count > 0 && labels[q].Contains(candidates[0].Label))
            {
                correct++;
            }
        }

        return queries == 0 ? null : (double)correct / queries;
    }
}

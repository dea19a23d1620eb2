namespace NasActors.Core.Controllers.PredictorEvolution;

/// <summary>Dense Cholesky factorization and solves for the Gaussian-process surrogates (row-major n x n arrays).</summary>
internal static class CholeskyMath
{
    /// <summary>In-place lower Cholesky factor of a row-major n x n matrix (lower triangle used); false when not positive definite.</summary>
    public static bool Cholesky(double[] a, int n)
    {
        for (var j = 0; j < n; j++)
        {
            var rowJ = a.AsSpan(j * n, j);
            var s = a[j * n + j];
            for (var k = 0; k < j; k++) s -= rowJ[k] * rowJ[k];
            if (s <= 0) return false;
            var d = a[j * n + j] = Math.Sqrt(s);
            for (var i = j + 1; i < n; i++)
            {
                var rowI = a.AsSpan(i * n, j);
                var t = a[i * n + j];
                for (var k = 0; k < j; k++) t -= rowI[k] * rowJ[k];
                a[i * n + j] = t / d;
            }
        }
        return true;
    }

    public static double[] Solve(double[] l, int n, double[] b)
    {
        var y = new double[n];
        for (var i = 0; i < n; i++)
        {
            var s = b[i];
            for (var k = 0; k < i; k++) s -= l[i * n + k] * y[k];
            y[i] = s / l[i * n + i];
        }
        var x = new double[n];
        for (var i = n - 1; i >= 0; i--)
        {
            var s = y[i];
            for (var k = i + 1; k < n; k++) s -= l[k * n + i] * x[k];
            x[i] = s / l[i * n + i];
        }
        return x;
    }

    /// <summary>
    /// Posterior variance 1 - v.v of a unit-variance kernel, with v = L^-1 k solved in place in <paramref name="k"/>.
    /// </summary>
    public static double PosteriorVariance(double[] l, int n, Span<double> k)
    {
        var variance = 1.0;
        for (var i = 0; i < n; i++)
        {
            var s = k[i];
            var row = l.AsSpan(i * n, i);
            for (var j = 0; j < row.Length; j++) s -= row[j] * k[j];
            k[i] = s / l[i * n + i];
            variance -= k[i] * k[i];
        }
        return variance;
    }
}

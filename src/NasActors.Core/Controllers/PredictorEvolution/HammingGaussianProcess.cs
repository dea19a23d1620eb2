using NasActors.Core.Spaces;

namespace NasActors.Core.Controllers.PredictorEvolution;

/// <summary>
/// A Gaussian-process surrogate on architectures with the kernel <c>exp(-theta * hamming(a, b) / decisions)</c>
/// (a product of per-decision kernels, so it captures interactions between decisions without knowing the space).
/// Signals are standardized; theta and the noise level are chosen on a small fixed grid by marginal likelihood.
/// Deterministic: no random draws.
/// </summary>
public sealed class HammingGaussianProcess
{
    private static readonly double[] Thetas = [1, 2, 4, 8];
    private static readonly double[] Noises = [1e-2, 1e-1];

    private readonly Architecture[] _x;
    private readonly double[] _alpha;
    private readonly double[] _chol; // lower triangle, row-major n x n
    private readonly double[] _kernelOfDistance;
    private readonly double _mean, _scale;
    private readonly int _n;

    public double Theta { get; }
    public double Noise { get; }

    public HammingGaussianProcess(IReadOnlyList<Architecture> x, IReadOnlyList<double> y)
    {
        if (x.Count == 0 || x.Count != y.Count) throw new ArgumentException("A surrogate needs as many signals as architectures, at least one.");
        _x = x.ToArray();
        var n = _n = _x.Length;
        _mean = y.Average();
        var sd = Math.Sqrt(y.Sum(v => (v - _mean) * (v - _mean)) / n);
        _scale = sd > 1e-12 ? sd : 1;
        var z = y.Select(v => (v - _mean) / _scale).ToArray();
        var decisions = _x[0].Count;
        var h = new int[n * n];
        for (var i = 0; i < n; i++)
            for (var j = 0; j < i; j++)
                h[i * n + j] = Hamming(_x[i], _x[j]);

        var best = double.NegativeInfinity;
        double[]? bestChol = null, bestAlpha = null, bestTable = null;
        var k = new double[n * n];
        foreach (var theta in Thetas)
        {
            var table = KernelTable(theta, decisions);
            foreach (var noise in Noises)
            {
                for (var i = 0; i < n; i++)
                {
                    k[i * n + i] = 1 + noise;
                    for (var j = 0; j < i; j++) k[i * n + j] = table[h[i * n + j]];
                }
                if (!CholeskyMath.Cholesky(k, n)) continue;
                var alpha = CholeskyMath.Solve(k, n, z);
                var logDet = 0.0;
                for (var i = 0; i < n; i++) logDet += Math.Log(k[i * n + i]);
                var fit = 0.0;
                for (var i = 0; i < n; i++) fit += z[i] * alpha[i];
                var lml = -0.5 * fit - logDet;
                if (lml > best) { best = lml; bestChol = (double[])k.Clone(); bestAlpha = alpha; bestTable = table; Theta = theta; Noise = noise; }
            }
        }
        _chol = bestChol ?? throw new InvalidOperationException("No kernel of the grid gave a positive-definite matrix.");
        _alpha = bestAlpha!;
        _kernelOfDistance = bestTable!;
    }

    private static double[] KernelTable(double theta, int decisions) =>
        Enumerable.Range(0, decisions + 1).Select(d => Math.Exp(-theta * d / decisions)).ToArray();

    /// <summary>Predicted signal and its standard deviation (in the signal's units).</summary>
    public (double Mean, double Std) Predict(Architecture a)
    {
        var n = _n;
        Span<double> ks = n <= 512 ? stackalloc double[n] : new double[n];
        var mean = 0.0;
        for (var i = 0; i < n; i++) { ks[i] = _kernelOfDistance[Hamming(a, _x[i])]; mean += ks[i] * _alpha[i]; }
        var variance = CholeskyMath.PosteriorVariance(_chol, n, ks);
        return (_mean + _scale * mean, _scale * Math.Sqrt(Math.Max(variance, 1e-12)));
    }

    public static int Hamming(Architecture a, Architecture b)
    {
        var x = a.Choices;
        var y = b.Choices;
        var d = 0;
        for (var i = 0; i < x.Length; i++) if (x[i] != y[i]) d++;
        return d;
    }

    /// <summary>Expected improvement over <paramref name="incumbent"/> (maximization).</summary>
    public static double ExpectedImprovement(double mean, double std, double incumbent)
    {
        var z = (mean - incumbent) / std;
        return (mean - incumbent) * NormalCdf(z) + std * NormalPdf(z);
    }

    private static double NormalPdf(double z) => Math.Exp(-0.5 * z * z) / Math.Sqrt(2 * Math.PI);

    private static double NormalCdf(double z) => 0.5 * Erfc(-z / Math.Sqrt(2));

    // Numerical Recipes' erfc (fractional error below 1.2e-7), enough for ranking.
    private static double Erfc(double x)
    {
        var z = Math.Abs(x);
        var t = 1 / (1 + 0.5 * z);
        var r = t * Math.Exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
            + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? r : 2 - r;
    }
}

using NasActors.Core.Spaces;

namespace NasActors.Core.Controllers.PredictorEvolution;

/// <summary>
/// A Gaussian-process surrogate on architectures with one weight per decision (automatic relevance determination):
/// <c>k(a, b) = exp(-sum_d w_d [a_d != b_d])</c>, a product of per-decision categorical kernels. A decision that does
/// not matter gets a small weight, so what was learnt carries over across its choices; one that matters a lot gets a
/// large one. Signals are standardized. The weights and the noise level maximize the marginal likelihood plus a weak
/// log-normal prior (which keeps them finite when there are few points): a start on a small grid of shared weights
/// (the Hamming kernel of <see cref="HammingGaussianProcess"/>), then a fixed number of gradient-ascent steps with
/// backtracking. Deterministic: no random draws.
/// </summary>
public sealed class ArdGaussianProcess
{
    private static readonly double[] Thetas = [1, 2, 4, 8];
    private static readonly double[] Noises = [1e-2, 1e-1];
    private const double PriorStd = 1.5;             // of log w_d and log noise, around the grid start
    private const double MinLog = -9, MaxLog = 3.5;  // bounds of the log-parameters

    private readonly int[][] _x;
    private readonly double[] _alpha;
    private readonly double[] _chol;
    private readonly double[] _w;
    private readonly double _mean, _scale;
    private readonly int _n, _d, _groups;
    private readonly int[] _group;

    /// <summary>Per-decision weights (larger: the decision matters more).</summary>
    public IReadOnlyList<double> Weights => _w;
    public double Noise { get; }

    /// <summary>The fitted log-parameters (per decision group, then the noise): hand them back to reuse this fit.</summary>
    public double[] Parameters { get; }

    /// <param name="x">Evaluated architectures.</param>
    /// <param name="y">Their signals.</param>
    /// <param name="gradientSteps">Gradient steps of the fit.</param>
    /// <param name="parameters">When given (<see cref="Parameters"/> of an earlier fit on the same space), the
    /// kernel is reused as it is and nothing is fitted: a single factorization.</param>
    public ArdGaussianProcess(IReadOnlyList<Architecture> x, IReadOnlyList<double> y, int gradientSteps = 12, double[]? parameters = null)
    {
        if (x.Count == 0 || x.Count != y.Count) throw new ArgumentException("A surrogate needs as many signals as architectures, at least one.");
        _x = x.Select(a => a.Choices.ToArray()).ToArray();
        var n = _n = _x.Length;
        var d = _d = _x[0].Length;
        _mean = y.Average();
        var sd = Math.Sqrt(y.Sum(v => (v - _mean) * (v - _mean)) / n);
        _scale = sd > 1e-12 ? sd : 1;
        var z = y.Select(v => (v - _mean) / _scale).ToArray();

        // Decisions fall into at most 64 groups of consecutive decisions (one group per decision up to 64 decisions);
        // counts[(i*n+j)*groups+g] is how many decisions of group g differ between i and j (j < i).
        var groups = _groups = Math.Min(d, 64);
        _group = Enumerable.Range(0, d).Select(k => (int)((long)k * groups / d)).ToArray();
        var counts = new byte[n * n * groups];
        for (var i = 0; i < n; i++)
            for (var j = 0; j < i; j++)
                for (var k = 0; k < d; k++)
                    if (_x[i][k] != _x[j][k]) counts[(i * n + j) * groups + _group[k]]++;

        var fit = new Fitter(n, groups, counts, z);
        if (parameters is not null && parameters.Length == groups + 1)
        {
            var fixedChol = new double[n * n];
            if (!double.IsNegativeInfinity(fit.Objective(parameters, null, fixedChol)))
            {
                _chol = fixedChol;
                _alpha = CholeskyMath.Solve(_chol, n, z);
                Parameters = (double[])parameters.Clone();
                _w = new double[d];
                for (var k = 0; k < d; k++) _w[k] = Math.Exp(parameters[_group[k]]);
                Noise = Math.Exp(parameters[groups]);
                return;
            }
        }
        // Grid start: shared weight theta / d for every decision.
        var start = new double[groups + 1];
        var bestValue = double.NegativeInfinity;
        foreach (var theta in Thetas)
            foreach (var noise in Noises)
            {
                var p = new double[groups + 1];
                for (var g = 0; g < groups; g++) p[g] = Math.Log(theta / d);
                p[groups] = Math.Log(noise);
                var v = fit.Objective(p, null, null);
                if (v > bestValue) { bestValue = v; start = p; }
            }
        if (double.IsNegativeInfinity(bestValue)) throw new InvalidOperationException("No kernel of the grid gave a positive-definite matrix.");
        fit.Center = (double[])start.Clone();
        var current = start;
        var grad = new double[groups + 1];
        var value = fit.Objective(current, grad, null);
        var step = 0.5;
        for (var it = 0; it < gradientSteps && step > 1e-3; it++)
        {
            var norm = Math.Sqrt(grad.Sum(g => g * g));
            if (norm < 1e-6) break;
            var moved = false;
            while (step > 1e-3)
            {
                var trial = new double[current.Length];
                for (var k = 0; k < trial.Length; k++)
                    trial[k] = Math.Clamp(current[k] + step * grad[k] / norm, MinLog, MaxLog);
                var tv = fit.Objective(trial, null, null);
                if (tv > value)
                {
                    current = trial; value = tv; step *= 1.5; moved = true;
                    if (it + 1 < gradientSteps) fit.Objective(trial, grad, null);
                    break;
                }
                step *= 0.5;
            }
            if (!moved) break;
        }
        var chol = new double[n * n];
        fit.Objective(current, null, chol);
        Parameters = current;
        _chol = chol;
        _alpha = CholeskyMath.Solve(_chol, n, z);
        _w = new double[d];
        for (var k = 0; k < d; k++) _w[k] = Math.Exp(current[_group[k]]);
        Noise = Math.Exp(current[groups]);
    }

    private sealed class Fitter(int n, int groups, byte[] counts, double[] z)
    {
        private readonly double[] _k = new double[n * n];
        private readonly double[] _kf = new double[n * n];
        public double[]? Center;

        /// <summary>Log marginal likelihood plus the log prior; fills the gradient (in log-parameters) and the Cholesky factor when asked.</summary>
        public double Objective(double[] p, double[]? grad, double[]? cholOut)
        {
            var w = new double[groups];
            for (var g = 0; g < groups; g++) w[g] = Math.Exp(p[g]);
            var noise = Math.Exp(p[groups]);
            var k = _k;
            for (var i = 0; i < n; i++)
            {
                k[i * n + i] = 1 + noise;
                for (var j = 0; j < i; j++)
                {
                    var c = counts.AsSpan((i * n + j) * groups, groups);
                    var s = 0.0;
                    for (var g = 0; g < groups; g++) s += c[g] * w[g];
                    k[i * n + j] = _kf[i * n + j] = Math.Exp(-s);
                }
            }
            if (!CholeskyMath.Cholesky(k, n)) return double.NegativeInfinity;
            var alpha = CholeskyMath.Solve(k, n, z);
            var logDet = 0.0;
            for (var i = 0; i < n; i++) logDet += Math.Log(k[i * n + i]);
            var value = -0.5 * Dot(z, alpha) - logDet;
            if (Center is not null)
                for (var g = 0; g <= groups; g++) value -= 0.5 * Sq((p[g] - Center[g]) / PriorStd);
            if (cholOut is not null) Array.Copy(k, cholOut, k.Length);
            if (grad is null) return value;

            // W = alpha alpha^T - K^-1; dL/dlog w_g = -w_g sum_{i<j} W_ij count_g(i,j) Kf_ij; dL/dlog noise = noise/2 tr W.
            var inv = Inverse(k, n);
            Array.Clear(grad);
            var trace = 0.0;
            for (var i = 0; i < n; i++)
            {
                trace += alpha[i] * alpha[i] - inv[i * n + i];
                for (var j = 0; j < i; j++)
                {
                    var c = counts.AsSpan((i * n + j) * groups, groups);
                    var wij = (alpha[i] * alpha[j] - inv[i * n + j]) * _kf[i * n + j];
                    for (var g = 0; g < groups; g++) if (c[g] != 0) grad[g] -= c[g] * wij;
                }
            }
            for (var g = 0; g < groups; g++) grad[g] *= w[g];
            grad[groups] = 0.5 * noise * trace;
            if (Center is not null)
                for (var g = 0; g <= groups; g++) grad[g] -= (p[g] - Center[g]) / (PriorStd * PriorStd);
            // Parameters at a bound do not move further out.
            for (var g = 0; g <= groups; g++)
                if ((p[g] <= MinLog && grad[g] < 0) || (p[g] >= MaxLog && grad[g] > 0)) grad[g] = 0;
            return value;
        }
    }

    /// <summary>Predicted signal and its standard deviation (in the signal's units).</summary>
    public (double Mean, double Std) Predict(Architecture a)
    {
        var n = _n;
        var x = a.Choices;
        Span<double> ks = n <= 512 ? stackalloc double[n] : new double[n];
        var mean = 0.0;
        for (var i = 0; i < n; i++)
        {
            var xi = _x[i];
            var s = 0.0;
            for (var k = 0; k < _d; k++) if (xi[k] != x[k]) s += _w[k];
            ks[i] = Math.Exp(-s);
            mean += ks[i] * _alpha[i];
        }
        var variance = CholeskyMath.PosteriorVariance(_chol, n, ks);
        return (_mean + _scale * mean, _scale * Math.Sqrt(Math.Max(variance, 1e-12)));
    }

    private static double Sq(double v) => v * v;

    private static double Dot(double[] a, double[] b)
    {
        var s = 0.0;
        for (var i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    /// <summary>K^-1 from the lower Cholesky factor: L^-1 (lower), then L^-T L^-1 (lower triangle filled).</summary>
    private static double[] Inverse(double[] l, int n)
    {
        var li = new double[n * n];
        for (var i = 0; i < n; i++)
        {
            li[i * n + i] = 1 / l[i * n + i];
            for (var j = 0; j < i; j++)
            {
                var s = 0.0;
                for (var k = j; k < i; k++) s -= l[i * n + k] * li[k * n + j];
                li[i * n + j] = s / l[i * n + i];
            }
        }
        var inv = new double[n * n];
        for (var i = 0; i < n; i++)
            for (var j = 0; j <= i; j++)
            {
                var s = 0.0;
                for (var k = i; k < n; k++) s += li[k * n + i] * li[k * n + j];
                inv[i * n + j] = s;
            }
        return inv;
    }
}

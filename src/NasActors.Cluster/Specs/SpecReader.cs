using System.Globalization;
using Akka.Configuration;
using NasActors.Core.Controllers;
using NasActors.Core.Input;
using NasActors.Torch.Data;
using NasActors.Torch.Methods;
using NasActors.Torch.Scoring;
using NasActors.Torch.Training;

namespace NasActors.Cluster.Specs;

/// <summary>A spec that cannot be run; the message names the key (and the file when there is one).</summary>
public sealed class SpecException(string key, string message, string? source = null)
    : ArgumentException(source is null ? $"Spec key '{key}': {message}" : $"{source}: spec key '{key}': {message}")
{
    public string Key { get; } = key;
    public string? SpecSource { get; } = source;
}

/// <summary>
/// Reads a search spec from HOCON (a <c>search { ... }</c> block) and validates everything that can be checked before
/// anything is persisted: syntax, unknown keys, the space, the dataset, the controller and its settings, the budget,
/// the constraints (that some architecture satisfies them) and the evaluation's table and column.
/// </summary>
public static class SpecReader
{
    private static readonly string[] TopKeys =
        ["name", "space", "dataset", "seed", "budget", "top-k", "max-attempts", "constraints", "controller", "training", "evaluation"];
    private static readonly string[] ControllerKeys = ["name", "settings"];
    // Besides these, a block named after a training method holds that method's own settings (training.darts { ... }).
    private static readonly string[] TrainingKeys = ["method", "steps", "batch-size", "learning-rate", "warmup-steps", "checkpoint-every", "evaluate-on", "mean-gradients", "momentum", "weight-decay", "label-smoothing"];
    private static readonly string[] EvaluationKeys =
        ["kind", "stub-cost", "table", "signal", "fail-architectures", "fail-times", "recalibration-batches", "recalibration-batch-size", "evaluation-batch-size",
         "standalone-epochs", "standalone-batch-size", "standalone-learning-rate", "standalone-weight-decay", "standalone-train-images"];

    public static SearchSpec ReadFile(string path)
    {
        if (!File.Exists(path)) throw new SpecException("file", $"'{path}' does not exist");
        var spec = Parse(File.ReadAllText(path), path);
        // Relative table paths are relative to the spec file.
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (spec.Evaluation.Table is { } t && !Path.IsPathRooted(t))
            spec = spec with { Evaluation = spec.Evaluation with { Table = Path.GetFullPath(Path.Combine(folder, t)) } };
        // So is a training method's latency table (training.proxylessnas.latency-table, ...).
        if (spec.Training.MethodSettings?.GetValueOrDefault(SearchSetup.LatencyTableKey) is { Length: > 0 } latency && !Path.IsPathRooted(latency))
            spec = spec with
            {
                Training = spec.Training with
                {
                    MethodSettings = new SortedDictionary<string, string>(spec.Training.MethodSettings.ToDictionary(), StringComparer.Ordinal)
                    {
                        [SearchSetup.LatencyTableKey] = Path.GetFullPath(Path.Combine(folder, latency)),
                    },
                },
            };
        SearchSetup.Validate(spec, path);
        return spec;
    }

    /// <summary>Parses and validates; <paramref name="source"/> names the text in messages.</summary>
    public static SearchSpec ReadText(string hocon, string source = "spec")
    {
        var spec = Parse(hocon, source);
        SearchSetup.Validate(spec, source);
        return spec;
    }

    /// <summary>Parses without the checks that need the space or table (those are <see cref="SearchSetup.Validate"/>).</summary>
    public static SearchSpec Parse(string hocon, string source = "spec")
    {
        if (HoconSyntax.Problem(hocon) is { } problem)
            throw new SpecException("(syntax)", $"the spec is not valid HOCON: {problem}", source);
        Config root;
        try { root = ConfigurationFactory.ParseString(hocon); }
        catch (Exception ex)
        {
            throw new SpecException("(syntax)", $"the spec is not valid HOCON: {ex.Message}", source);
        }
        if (!root.HasPath("search")) throw new SpecException("search", "missing: a spec is a search { ... } block", source);
        var r = new Reader(root, "", source).Sub("search");
        r.RejectUnknown(TopKeys);

        var space = r.String("space");
        var dataset = r.String("dataset", "none");
        var seed = r.Long("seed", 1);
        var budget = r.Int("budget");
        if (budget < 1) throw new SpecException("search.budget", $"must be at least 1, got {budget}", source);
        var topK = r.Int("top-k", 5);
        if (topK < 1) throw new SpecException("search.top-k", $"must be at least 1, got {topK}", source);
        var attempts = r.Int("max-attempts", 3);
        if (attempts < 1) throw new SpecException("search.max-attempts", $"must be at least 1, got {attempts}", source);

        var constraints = new List<string>();
        var cc = r.SubOrEmpty("constraints");
        foreach (var key in cc.Keys)
            constraints.Add(string.Create(CultureInfo.InvariantCulture, $"{key}={cc.Double(key):R}"));

        var ctl = r.Sub("controller");
        ctl.RejectUnknown(ControllerKeys);
        var controller = ctl.String("name");
        var settings = ctl.SubOrEmpty("settings").Scalars();

        var t = r.SubOrEmpty("training");
        t.RejectUnknown([.. TrainingKeys, .. TrainingMethods.Names]);
        var method = t.String("method", "fairnas").ToLowerInvariant();
        try { method = TrainingMethods.Get(method).Name; }
        catch (ArgumentException) { throw new SpecException("search.training.method", $"unknown method '{method}' (known: {string.Join(", ", TrainingMethods.Names)})", source); }
        foreach (var other in TrainingMethods.Names.Where(n => n != method && t.Config.HasPath(n)))
            throw new SpecException($"search.training.{other}", $"settings of method '{other}', but the training method is '{method}'", source);
        var methodSettings = t.SubOrEmpty(method).Scalars();
        var training = new TrainingSpec(
            method, t.Long("steps", 300), t.Int("batch-size", 128),
            t.Double("learning-rate", 0.1), t.Long("warmup-steps", 0), t.Long("checkpoint-every", 50),
            EvaluateOnSetting(t.String("evaluate-on", EvaluateOn.Final.ToWire()), source), t.Bool("mean-gradients", false),
            t.Double("momentum", SupernetTrainingOptions.DefaultMomentum), t.Double("weight-decay", SupernetTrainingOptions.DefaultWeightDecay),
            t.Double("label-smoothing", SupernetTrainingOptions.DefaultLabelSmoothing), methodSettings);
        if (training.Steps < 1) throw new SpecException("search.training.steps", $"must be at least 1, got {training.Steps}", source);
        if (training.BatchSize < 1) throw new SpecException("search.training.batch-size", $"must be at least 1, got {training.BatchSize}", source);
        if (!(training.LearningRate > 0)) throw new SpecException("search.training.learning-rate", $"must be positive, got {training.LearningRate}", source);
        if (training.WarmupSteps < 0 || training.WarmupSteps >= training.Steps) throw new SpecException("search.training.warmup-steps", $"must be in [0, steps), got {training.WarmupSteps}", source);
        if (training.CheckpointEvery < 0) throw new SpecException("search.training.checkpoint-every", $"must be >= 0, got {training.CheckpointEvery}", source);
        if (!(training.Momentum is >= 0 and < 1)) throw new SpecException("search.training.momentum", $"must be in [0, 1), got {training.Momentum}", source);
        if (!(training.WeightDecay >= 0)) throw new SpecException("search.training.weight-decay", $"must be >= 0, got {training.WeightDecay}", source);
        if (!(training.LabelSmoothing is >= 0 and < 1)) throw new SpecException("search.training.label-smoothing", $"must be in [0, 1), got {training.LabelSmoothing}", source);
        // The method's own settings, read by its registration exactly as the trainer will read them.
        try { training.ToOptions(seed); }
        catch (ControllerSettingsException ex) { throw new SpecException($"search.training.{method}.{ex.Key}", ex.Problem, source); }
        catch (ArgumentException ex) { throw new SpecException($"search.training.{method}", ex.Message, source); }

        var e = r.SubOrEmpty("evaluation");
        e.RejectUnknown(EvaluationKeys);
        var evaluation = new EvaluationSpec(
            EvaluationKindSetting(e.String("kind", EvaluationKind.Torch.ToWire()), source), e.Duration("stub-cost", TimeSpan.Zero),
            e.OptionalString("table"), e.OptionalString("signal"), e.StringList("fail-architectures"), e.Int("fail-times", 0),
            e.Int("recalibration-batches", ScoringOptions.DefaultRecalibrationBatches),
            e.Int("recalibration-batch-size", ScoringOptions.DefaultRecalibrationBatchSize), e.Int("evaluation-batch-size", ScoringOptions.DefaultEvaluationBatchSize),
            e.Int("standalone-epochs", 2), e.Int("standalone-batch-size", 128), e.Double("standalone-learning-rate", 0.1),
            e.Double("standalone-weight-decay", 5e-4), e.Int("standalone-train-images", 0));
        if (evaluation.StandaloneEpochs < 1) throw new SpecException("search.evaluation.standalone-epochs", "must be at least 1", source);
        if (evaluation.StandaloneBatchSize < 1) throw new SpecException("search.evaluation.standalone-batch-size", "must be at least 1", source);
        if (!(evaluation.StandaloneLearningRate > 0)) throw new SpecException("search.evaluation.standalone-learning-rate", "must be positive", source);
        if (evaluation.StandaloneWeightDecay < 0) throw new SpecException("search.evaluation.standalone-weight-decay", "must be >= 0", source);
        if (evaluation.StandaloneTrainImages < 0) throw new SpecException("search.evaluation.standalone-train-images", "must be >= 0", source);
        if (evaluation.StubCost < TimeSpan.Zero) throw new SpecException("search.evaluation.stub-cost", "must not be negative", source);
        if (evaluation.FailTimes < 0) throw new SpecException("search.evaluation.fail-times", "must be >= 0", source);
        if (evaluation.RecalibrationBatches < 1) throw new SpecException("search.evaluation.recalibration-batches", "must be at least 1", source);
        if (evaluation.RecalibrationBatchSize < 1) throw new SpecException("search.evaluation.recalibration-batch-size", "must be at least 1", source);
        if (evaluation.EvaluationBatchSize < 1) throw new SpecException("search.evaluation.evaluation-batch-size", "must be at least 1", source);
        if (evaluation.Table is not null && evaluation.Signal is null) throw new SpecException("search.evaluation.signal", "a table needs the column that is the signal", source);

        return new SearchSpec(r.String("name", "search"), space, dataset, controller, settings, budget, constraints, seed,
            training, evaluation, attempts, topK);
    }

    /// <summary>Typed access to one block; every error names the full key.</summary>
    private static EvaluateOn EvaluateOnSetting(string text, string source) => WireName<EvaluateOn>.TryParse(text, out var v)
        ? v : throw new SpecException("search.training.evaluate-on", $"'{text}' is not {WireName<EvaluateOn>.Known}", source);

    private static EvaluationKind EvaluationKindSetting(string text, string source) => WireName<EvaluationKind>.TryParse(text, out var v)
        ? v : throw new SpecException("search.evaluation.kind", $"unknown kind '{text}' (known: {string.Join(", ", WireName<EvaluationKind>.Names)})", source);

    private sealed class Reader(Config config, string path, string source)
    {
        public Config Config { get; } = config;

        private string Key(string key) => path.Length == 0 ? key : $"{path}.{key}";

        /// <summary>The block's own keys (a dotted key <c>a.b = 1</c> counts as its first part, <c>a</c>).</summary>
        public IEnumerable<string> Keys => Config.IsEmpty ? [] : Config.AsEnumerable().Select(kv => kv.Key);

        /// <summary>Every key of the block with a single value (a number, word or string); a block or a list is refused, named.</summary>
        public SortedDictionary<string, string> Scalars()
        {
            var values = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var key in Keys)
            {
                if (Config.GetValue(key) is not { } value || value.IsObject() || value.IsArray())
                    throw new SpecException(Key(key), "must be a single value (a number, a word or a string), not a block or a list", source);
                values[key] = String(key);
            }
            return values;
        }

        public void RejectUnknown(string[] known)
        {
            if (HoconKeys.FirstUnknown(Config, known) is var (key, nearest))
                throw new SpecException(Key(key), HoconKeys.Describe(key, nearest, known), source);
        }

        public Reader Sub(string key)
        {
            if (!Config.HasPath(key)) throw new SpecException(Key(key), "missing", source);
            // Akka's GetConfig of a word or a list gives a config that fails later, far from the key: refused here.
            if (Config.GetValue(key) is not { } value || !value.IsObject())
                throw new SpecException(Key(key), $"must be a block {{ ... }}, not '{Config.GetValue(key)}'", source);
            try { return new Reader(Config.GetConfig(key), Key(key), source); }
            catch (Exception e) when (e is not SpecException) { throw new SpecException(Key(key), $"must be a block {{ ... }}: {e.Message}", source); }
        }

        public Reader SubOrEmpty(string key) => Config.HasPath(key) ? Sub(key) : new Reader(ConfigurationFactory.Empty, Key(key), source);

        public string String(string key, string? defaultValue = null)
        {
            if (!Config.HasPath(key))
                return defaultValue ?? throw new SpecException(Key(key), "missing", source);
            var v = Get(key, () => Config.GetString(key));
            if (string.IsNullOrWhiteSpace(v)) throw new SpecException(Key(key), "is empty", source);
            return v.Trim();
        }

        public string? OptionalString(string key) => Config.HasPath(key) ? String(key) : null;

        public IReadOnlyList<string> StringList(string key) =>
            Config.HasPath(key) ? Get(key, () => Config.GetStringList(key)).ToArray() : [];

        public int Int(string key, int? defaultValue = null)
        {
            var l = Long(key, defaultValue);
            if (l is < int.MinValue or > int.MaxValue) throw new SpecException(Key(key), $"{l} is out of range", source);
            return (int)l;
        }

        public long Long(string key, long? defaultValue = null)
        {
            if (!Config.HasPath(key)) return defaultValue ?? throw new SpecException(Key(key), "missing", source);
            var raw = Get(key, () => Config.GetString(key));
            if (!long.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v))
                throw new SpecException(Key(key), $"'{raw}' is not an integer", source);
            return v;
        }

        public double Double(string key, double? defaultValue = null)
        {
            if (!Config.HasPath(key)) return defaultValue ?? throw new SpecException(Key(key), "missing", source);
            var raw = Get(key, () => Config.GetString(key));
            if (!double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !double.IsFinite(v))
                throw new SpecException(Key(key), $"'{raw}' is not a number", source);
            return v;
        }

        public bool Bool(string key, bool defaultValue)
        {
            if (!Config.HasPath(key)) return defaultValue;
            var raw = Get(key, () => Config.GetString(key));
            return raw.Trim().ToLowerInvariant() switch
            {
                "true" or "on" or "yes" => true,
                "false" or "off" or "no" => false,
                _ => throw new SpecException(Key(key), $"'{raw}' is not a boolean (true/false, on/off, yes/no)", source),
            };
        }

        public TimeSpan Duration(string key, TimeSpan defaultValue)
        {
            if (!Config.HasPath(key)) return defaultValue;
            return Get(key, () => Config.GetTimeSpan(key, null, allowInfinite: false));
        }

        private T Get<T>(string key, Func<T> read)
        {
            try { return read(); }
            catch (Exception e) when (e is not SpecException) { throw new SpecException(Key(key), e.Message, source); }
        }
    }
}

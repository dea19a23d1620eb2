using System.Collections.Concurrent;
using NasActors.Core.Controllers;
using NasActors.Core.Controllers.Derived;
using NasActors.Core.Costs;
using NasActors.Core.Input;
using NasActors.Core.Spaces;
using NasActors.Core.Spaces.Blocks;
using NasActors.Core.Tabular;
using NasActors.Torch.Data;

namespace NasActors.Cluster.Specs;

/// <summary>
/// What a spec resolves to: the space, its cost model, the constraints, the table (stub evaluation from a table) and
/// a factory of controllers. Building it checks everything the spec names; the population builds it again on replay.
/// </summary>
public sealed class SearchSetup
{
    /// <summary>Space name meaning "the space of the evaluation table, restricted to its rows".</summary>
    public const string TableSpace = "table";

    private static readonly ConcurrentDictionary<string, BenchmarkTable> Tables = new();

    // A spec may name a controller of the torch layer (enas-lstm).
    static SearchSetup() => Torch.Controllers.TorchControllers.Register();

    private SearchSetup(SearchSpec spec, ISearchSpace space, ICostModel? costs, Constraints constraints, BenchmarkTable? table,
        Func<SearchContext, IController> factory)
    {
        Spec = spec; Space = space; Costs = costs; Constraints = constraints; Table = table; _factory = factory;
    }

    private readonly Func<SearchContext, IController> _factory;

    public SearchSpec Spec { get; }
    public ISearchSpace Space { get; }
    public ICostModel? Costs { get; }
    public Constraints Constraints { get; }
    public BenchmarkTable? Table { get; }

    /// <summary>A fresh controller in its initial state (a search replays its events into it).</summary>
    public IController NewController() => _factory(Context);

    /// <summary>What the search's controller knows of it: space, seed, budget, constraints, costs.</summary>
    public SearchContext Context => new(Space, Spec.Seed, Spec.Budget, Constraints, Costs);

    /// <summary>The setting of a training method's block that names its latency table file (ProxylessNAS, FBNet).</summary>
    public const string LatencyTableKey = "latency-table";

    /// <summary>Validates a spec (the key is named in every failure); nothing else happens.</summary>
    public static void Validate(SearchSpec spec, string? source = null)
    {
        Build(spec, source).NewController();
        CheckTrainingFiles(spec, source);
    }

    /// <summary>
    /// The files a spec's training reads, checked at submit (not on replay: a search journaled long ago replays even if
    /// its files moved since): the method's latency table exists, parses and fits the space. Its trainer reads it again.
    /// </summary>
    public static void CheckTrainingFiles(SearchSpec spec, string? source = null)
    {
        if (spec.Training.MethodSettings?.GetValueOrDefault(LatencyTableKey) is not { } path) return;
        var key = $"search.training.{spec.Training.Method}.{LatencyTableKey}";
        BlockSpace space;
        try { space = BlockSpaces.Get(spec.Space); }
        catch (UnknownSpaceException) { throw new SpecException(key, $"'{path}': a latency table needs a block space, not '{spec.Space}'", source); }
        try { Torch.Methods.LatencyLoss.ReadTable(path, space); }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException)
        {
            throw new SpecException(key, e is FileNotFoundException ? $"'{path}': the file does not exist"
                : e is ArgumentException ? e.Message : $"'{path}': {e.Message}", source);
        }
    }

    public static SearchSetup Build(SearchSpec spec, string? source = null)
    {
        BenchmarkTable? table = null;
        if (spec.Evaluation.Table is { } path)
        {
            if (spec.Evaluation.Kind != EvaluationKind.Stub)
                throw new SpecException("search.evaluation.table", "a table gives results only to the stub evaluator (kind = stub)", source);
            try { table = Tables.GetOrAdd(Path.GetFullPath(path), p => BenchmarkTable.Read(p)); }
            catch (Exception e) when (e is IOException or FormatException or ArgumentException)
            {
                throw new SpecException("search.evaluation.table", e.Message, source);
            }
            try { table.Numeric(spec.Evaluation.Signal!); }
            catch (FormatException e) { throw new SpecException("search.evaluation.signal", e.Message, source); }
        }

        ISearchSpace space;
        ICostModel? costs;
        IReadOnlyList<Architecture>? domain = null;
        var spaceName = spec.Space.Trim().ToLowerInvariant();
        if (spaceName == TableSpace)
        {
            if (table is null) throw new SpecException("search.space", "space 'table' needs search.evaluation.table", source);
            space = table.Space;
            costs = new TableCostModel(table);
            domain = table.Architectures;
        }
        else
        {
            BlockSpace block;
            try { block = BlockSpaces.Get(spaceName); }
            catch (UnknownSpaceException e) { throw new SpecException("search.space", e.Message + $" Or '{TableSpace}' with a stub evaluation table.", source); }
            space = block;
            costs = block.CostModel();
            if (table is not null)
                throw new SpecException("search.space", $"a stub evaluation table brings its own space: use space = {TableSpace}", source);
        }

        var tensors = spec.NeedsSupernet || spec.Evaluation.Kind == EvaluationKind.Standalone;
        if (tensors || !string.Equals(spec.Dataset, "none", StringComparison.OrdinalIgnoreCase))
        {
            (int Channels, int Height, int Width) shape;
            try { shape = DatasetCatalog.ImageShape(spec.Dataset); }
            catch (Exception)
            {
                var known = $"(known: {string.Join(", ", DatasetCatalog.Names)}{(tensors ? "" : ", or none for a stub evaluation")})";
                throw new SpecException("search.dataset", string.Equals(spec.Dataset, "none", StringComparison.OrdinalIgnoreCase)
                    ? $"missing: a {(spec.Evaluation.Kind == EvaluationKind.Standalone ? "stand-alone evaluation" : "supernet")} trains on a data set {known}"
                    : $"unknown dataset '{spec.Dataset}' {known}", source);
            }
            if (space is BlockSpace b && (b.Input.Channels, b.Input.Height, b.Input.Width) != shape)
                throw new SpecException("search.dataset", $"dataset '{spec.Dataset}' has {shape.Channels}x{shape.Height}x{shape.Width} images, space '{b.Name}' takes {b.Input}", source);
            if (tensors && space is not BlockSpace)
                throw new SpecException("search.space", $"{spec.Evaluation.Kind.ToWire()} evaluation needs a block space (a network to build)", source);
        }

        var method = Torch.Methods.TrainingMethods.Get(spec.Training.Method);
        if (method.Name == Torch.Methods.SinglePathNas.SinglePathNasMethod.MethodName && spec.NeedsSupernet
            && spec.Training.MethodSettings?.GetValueOrDefault(LatencyTableKey) is not { Length: > 0 })
            throw new SpecException($"search.training.{method.Name}.{LatencyTableKey}",
                $"method '{method.Name}' needs a latency table (its loss is CE + lambda * log(runtime)): a file of nas latency-table for space '{space.Name}'", source);

        // Architectures a spec lists are checked against the space now, not when (if ever) the search meets them:
        // a stub evaluator compares them with the canonical form, so another spelling would never match.
        for (var i = 0; i < spec.Evaluation.FailArchitectures.Count; i++)
        {
            var key = $"search.evaluation.fail-architectures[{i}]";
            var text = spec.Evaluation.FailArchitectures[i];
            Architecture a;
            try { a = space.Parse(text); }
            catch (FormatException e) { throw new SpecException(key, e.Message, source); }
            if (space.Format(a) != text)
                throw new SpecException(key, $"'{text}' is written '{space.Format(a)}' in space '{space.Name}'; use that form", source);
            if (domain is not null && !domain.Contains(a))
                throw new SpecException(key, $"'{text}' is not a row of the evaluation table", source);
        }

        Constraints constraints;
        try
        {
            var limits = spec.Constraints.Select(CostConstraint.Parse).ToArray();
            constraints = new Constraints(space, costs, limits, domain);
            constraints.EnsureSatisfiable();
        }
        catch (Exception e) when (e is FormatException or KeyNotFoundException or ArgumentException or UnsatisfiableConstraintsException)
        {
            throw new SpecException("search.constraints", e.Message, source);
        }

        Func<SearchContext, IController> factory;
        try
        {
            factory = ControllerFactory.Prepare(spec.Controller, spec.ControllerSettings);
            var setup = new SearchSetup(spec, space, costs, constraints, table, factory);
            // Settings that depend on the context fail here.
            if (setup.NewController() is IDistributionController && !method.LearnsArchitecture)
                throw new SpecException("search.controller.name",
                    $"'{spec.Controller}' proposes from the distribution or the architectures a training method derives; method '{spec.Training.Method}' learns neither " +
                    $"(methods that do: {string.Join(", ", Torch.Methods.TrainingMethods.Names.Where(n => Torch.Methods.TrainingMethods.Get(n).LearnsArchitecture))})", source);
            return setup;
        }
        catch (ControllerSettingsException e) { throw new SpecException($"search.controller.settings.{e.Key}", e.Message, source); }
        catch (ArgumentException e) when (e is not SpecException) { throw new SpecException("search.controller.name", e.Message, source); }
    }
}

using NasActors.Core.Controllers.Derived;
using NasActors.Core.Controllers.Evolution;
using NasActors.Core.Controllers.Nsga2;
using NasActors.Core.Controllers.PredictorEvolution;
using NasActors.Core.Controllers.Random;
using NasActors.Core.Controllers.RegularizedEvolution;
using NasActors.Core.Controllers.Reinforce;
using NasActors.Core.Controllers.Stratified;

namespace NasActors.Core.Controllers;

/// <summary>The names controllers go by in specs and on the command line.</summary>
public static class ControllerNames
{
    public const string Random = "random";
    public const string Evolution = "evolution";
    public const string RegularizedEvolution = "regularized-evolution";
    public const string Nsga2 = "nsga2";
    public const string Reinforce = "reinforce";
    public const string PredictorEvolution = "predictor-evolution";
    /// <summary>Not a search: K architectures stratified by FLOPs, once (ranking studies).</summary>
    public const string Stratified = "stratified";
    /// <summary>Not a search: the argmax, then the next most probable architectures, of a trained distribution
    /// (DARTS, ProxylessNAS, FBNet, ...).</summary>
    public const string Derived = "derived";

    /// <summary>The controllers of this layer.</summary>
    public static IReadOnlyList<string> BuiltIn { get; } = [Random, Evolution, RegularizedEvolution, Nsga2, Reinforce, PredictorEvolution, Stratified, Derived];

    /// <summary>Every known controller: <see cref="BuiltIn"/>, then those a higher layer registered (<see cref="ControllerFactory.Register"/>).</summary>
    public static IReadOnlyList<string> All => [.. BuiltIn, .. ControllerFactory.Registered];
}

/// <summary>Builds a controller from its name and settings (key/value text, e.g. from a HOCON spec).</summary>
public static class ControllerFactory
{
    /// <summary>
    /// Validates the settings (an unknown or bad key fails naming the key) and the constraints (a constraint set
    /// that nothing satisfies fails with <see cref="UnsatisfiableConstraintsException"/>), then builds the controller.
    /// </summary>
    public static IController Create(string name, SearchContext context, IReadOnlyDictionary<string, string>? settings = null)
    {
        var factory = Prepare(name, settings);
        return factory(context);
    }

    /// <summary>Reads and validates the settings once; the returned function builds a fresh controller per search (seed).</summary>
    public static Func<SearchContext, IController> Prepare(string name, IReadOnlyDictionary<string, string>? settings = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        var key = name.Trim().ToLowerInvariant();
        var r = new SettingsReader(key, settings);
        Func<SearchContext, IController> make = key switch
        {
            ControllerNames.Random => Bind(RandomSearchSettings.Read(r), (c, s) => new RandomSearch(c, s)),
            ControllerNames.Evolution => Bind(EvolutionSettings.Read(r), (c, s) => new EvolutionSearch(c, s)),
            ControllerNames.RegularizedEvolution => Bind(RegularizedEvolutionSettings.Read(r), (c, s) => new RegularizedEvolutionSearch(c, s)),
            ControllerNames.Nsga2 => Bind(Nsga2Settings.Read(r), (c, s) => new Nsga2Search(c, s)),
            ControllerNames.Reinforce => Bind(ReinforceSettings.Read(r), (c, s) => new ReinforceSearch(c, s)),
            ControllerNames.PredictorEvolution => Bind(PredictorEvolutionSettings.Read(r), (c, s) => new PredictorEvolutionSearch(c, s)),
            ControllerNames.Stratified => Bind(StratifiedSampleSettings.Read(r), (c, s) => new StratifiedSample(c, s)),
            ControllerNames.Derived => Bind(DerivedArchitecturesSettings.Read(r), (c, s) => new DerivedArchitectures(c, s)),
            _ when Extra.TryGetValue(key, out var prepare) => prepare(r),
            _ => throw new ArgumentException($"Unknown controller '{name}' (known: {string.Join(", ", ControllerNames.All)})."),
        };
        r.RejectUnknown();
        return make;
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Func<SettingsReader, Func<SearchContext, IController>>> Extra =
        new(StringComparer.Ordinal);

    /// <summary>The names registered by higher layers, in name order.</summary>
    public static IReadOnlyList<string> Registered => Extra.Keys.Order(StringComparer.Ordinal).ToArray();

    /// <summary>
    /// Registers a controller a higher layer implements (this layer has no Torch: the torch layer's <c>enas-lstm</c>
    /// comes in here). <paramref name="prepare"/> reads the settings from the reader (which refuses the keys it did not
    /// read) and returns the factory. Registering the same name again is a no-op; a built-in name is refused.
    /// </summary>
    public static void Register(string name, Func<SettingsReader, Func<SearchContext, IController>> prepare)
    {
        ArgumentNullException.ThrowIfNull(prepare);
        var key = name.Trim().ToLowerInvariant();
        if (ControllerNames.BuiltIn.Contains(key)) throw new ArgumentException($"Controller '{key}' is built in; it cannot be registered again.", nameof(name));
        Extra.TryAdd(key, prepare);
    }

    private static Func<SearchContext, IController> Bind<TSettings>(TSettings settings, Func<SearchContext, TSettings, IController> make) =>
        context => make(context, settings);
}

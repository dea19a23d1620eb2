using NasActors.Core.Controllers;
using NasActors.Core.Determinism;
using NasActors.Core.Spaces;
using NasActors.Torch.Methods.Enas;

namespace NasActors.Torch.Controllers;

/// <summary>
/// Settings of <c>enas-lstm</c>: ENAS's controller and REINFORCE step (<see cref="EnasPolicy"/>; defaults ENAS's:
/// 100 hidden units, temperature 5, tanh constant 1.1, Adam 3.5e-3 with betas (0, 0.999), entropy weight 1e-4,
/// baseline decay 0.99), architectures sampled per policy update, and redraws of a sample already proposed. The
/// baseline starts at the first reward (<c>baseline_from_first</c>): a search of 100 evaluations is over before a
/// baseline from 0 with decay 0.99 would reach the rewards.
/// </summary>
public sealed record EnasLstmSettings(int HiddenUnits = EnasOptions.DefaultHiddenUnits, double Temperature = EnasMethod.DefaultTemperature,
    double TanhConstant = EnasOptions.DefaultTanhConstant, double LearningRate = EnasMethod.DefaultLearningRate, double Beta1 = 0,
    double Beta2 = 0.999, double EntropyWeight = EnasOptions.DefaultEntropyWeight, double BaselineDecay = EnasOptions.DefaultBaselineDecay,
    bool BaselineFromFirst = true, int Batch = 1, int MaxTries = 100)
{
    public static EnasLstmSettings Read(SettingsReader r)
    {
        var d = new EnasLstmSettings();
        return new(
            r.Int("hidden_units", d.HiddenUnits, min: 1),
            r.Double("temperature", d.Temperature, min: double.Epsilon),
            r.Double("tanh_constant", d.TanhConstant, min: 0),
            r.Double("learning_rate", d.LearningRate, min: double.Epsilon),
            r.Double("beta1", d.Beta1, min: 0, max: 1 - 1e-12),
            r.Double("beta2", d.Beta2, min: 0, max: 1 - 1e-12),
            r.Double("entropy_weight", d.EntropyWeight, min: 0),
            r.Double("baseline_decay", d.BaselineDecay, min: 0, max: 1 - 1e-12),
            r.Bool("baseline_from_first", d.BaselineFromFirst),
            r.Int("batch", d.Batch, min: 1),
            r.Int("max_tries", d.MaxTries, min: 1));
    }

    public EnasPolicySettings Policy => new(HiddenUnits, Temperature, TanhConstant, LearningRate, Beta1, Beta2, 0, EntropyWeight, BaselineDecay, BaselineFromFirst);
}

/// <summary>
/// ENAS's LSTM policy as a population controller (next to <c>reinforce</c>'s independent logits): each decision is
/// drawn conditioned on the earlier ones; every evaluated architecture is one REINFORCE step with its signal as the
/// reward (<see cref="EnasPolicy"/>, the ENAS training method's own implementation). A sample already proposed (or
/// violating the constraints) is redrawn, up to <c>max_tries</c> per architecture, then a uniform new one is taken;
/// failed evaluations teach nothing. Draws are pure functions of (seed, batch), the initial weights of the seed.
/// </summary>
public sealed class EnasLstmSearch : BatchController
{
    public const string ControllerName = "enas-lstm";

    public EnasLstmSearch(SearchContext context, EnasLstmSettings settings) : base(ControllerName, context)
    {
        Settings = settings;
        Policy = new EnasPolicy(context.Space.ChoiceCounts, settings.Policy, (long)(DeterministicRandom.Mix(context.Seed, "enas-lstm-init") >> 1));
    }

    public EnasLstmSettings Settings { get; }
    public EnasPolicy Policy { get; }

    /// <summary>The policy's most probable architecture (each decision greedy given the earlier ones).</summary>
    public Architecture Greedy()
    {
        using var noGrad = TorchSharp.torch.no_grad();
        using var scope = TorchSharp.torch.NewDisposeScope();
        return Policy.Controller.Run().Architecture;
    }

    protected override IReadOnlyList<Architecture> NextBatch(int batch, int maxCount)
    {
        var rng = Random("sample", batch);
        var picked = new List<Architecture>();
        var size = Math.Min(Settings.Batch, maxCount);
        for (var tries = 0; picked.Count < size && tries < Settings.MaxTries * size; tries++)
        {
            var a = Policy.Sample(rng);
            if (IsNew(a, picked)) picked.Add(a);
        }
        FillWithNew(rng, picked, size);
        return picked;
    }

    protected override void OnBatchCompleted(int batch, IReadOnlyList<Evaluation> results)
    {
        foreach (var e in results.Where(e => !e.Failed)) Policy.Reinforce(e.Architecture, e.Signal);
    }
}

/// <summary>The controllers this layer adds to <see cref="ControllerFactory"/> (it has no Torch of its own).</summary>
public static class TorchControllers
{
    /// <summary>Registers <c>enas-lstm</c>; idempotent. Executables and the cluster layer call it before they read a controller name.</summary>
    public static void Register() =>
        ControllerFactory.Register(EnasLstmSearch.ControllerName, r =>
        {
            var settings = EnasLstmSettings.Read(r);
            return context => new EnasLstmSearch(context, settings);
        });
}

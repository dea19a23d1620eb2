using NasActors.Core.Determinism;
using NasActors.Core.Spaces;
using NasActors.Torch.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace NasActors.Torch.Methods.Enas;

/// <summary>What an <see cref="EnasPolicy"/> is built from: the controller's shape and the REINFORCE step's settings.</summary>
public sealed record EnasPolicySettings(int HiddenUnits, double Temperature, double TanhConstant, double LearningRate,
    double Beta1, double Beta2, double WeightDecay, double EntropyWeight, double BaselineDecay, bool BaselineFromFirstReward = false);

/// <summary>
/// ENAS's policy and how it learns: the LSTM controller (<see cref="EnasController"/>), REINFORCE against a moving-
/// average baseline with an entropy bonus (reward' = reward + entropy weight * entropy of the sample; baseline -=
/// (1 - decay)(baseline - reward'); loss = -log p(sample) * (reward' - baseline)), and Adam. One implementation for the
/// ENAS training method (reward: accuracy with the shared weights) and the <c>enas-lstm</c> population controller
/// (reward: the evaluators' signal). The baseline starts at 0 (ENAS), or at the first reward' with
/// <see cref="EnasPolicySettings.BaselineFromFirstReward"/> (short searches, where a baseline still far below the
/// rewards would reinforce every sample alike).
/// </summary>
public sealed class EnasPolicy : IDisposable
{
    private readonly AdamOptimizer _optimizer;
    private readonly Tensor _baseline;
    private long _rewards;

    public EnasPolicy(IReadOnlyList<int> choiceCounts, EnasPolicySettings settings, long initSeed)
    {
        Settings = settings;
        Controller = Supernet.BlockNetwork.BuildAside(() =>
            new EnasController(choiceCounts, settings.HiddenUnits, settings.Temperature, settings.TanhConstant, initSeed));
        _optimizer = new AdamOptimizer(Controller.named_parameters().Select(p => (p.name, p.parameter)), settings.Beta1, settings.Beta2, settings.WeightDecay);
        _baseline = torch.zeros(1);
    }

    public EnasPolicySettings Settings { get; }
    public EnasController Controller { get; }

    /// <summary>The moving-average baseline of the rewards.</summary>
    public double Baseline => _baseline.item<float>();

    /// <summary>A draw of the policy (no gradient).</summary>
    public Architecture Sample(DeterministicRandom rng)
    {
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        return Controller.Run(rng).Architecture;
    }

    /// <summary>One REINFORCE step on <paramref name="sample"/> (a differentiable run of the controller) with its reward.</summary>
    public void Reinforce(PolicySample sample, double reward)
    {
        using var scope = torch.NewDisposeScope();
        Controller.zero_grad();
        var bonus = reward + Settings.EntropyWeight * sample.Entropy.item<float>();
        using (torch.no_grad())
        {
            using var target = torch.tensor((float)bonus);
            if (Settings.BaselineFromFirstReward && _rewards == 0) _baseline.copy_(target);
            else
            {
                using var keep = (1 - Settings.BaselineDecay).ToScalar();
                _baseline.sub_(_baseline.sub(target).mul(keep));
            }
            _rewards++;
        }
        var advantage = bonus - _baseline.item<float>();
        var loss = sample.LogProbability.mul(-advantage);
        loss.backward();
        _optimizer.Step(Settings.LearningRate);
    }

    /// <summary>One REINFORCE step on an architecture the policy proposed earlier, with the reward it got.</summary>
    public void Reinforce(Architecture architecture, double reward)
    {
        using var scope = torch.NewDisposeScope();
        Reinforce(Controller.Run(forced: architecture), reward);
    }

    /// <summary>The controller's parameters, the baseline and Adam's state, as named tensors (prefixes: ENAS's checkpoints).
    /// The count of rewards seen is not saved: a checkpointed policy (the ENAS method's) starts its baseline at 0.</summary>
    public IEnumerable<(string Name, Tensor Tensor)> State() =>
        Controller.named_parameters().Select(p => ("enas/" + p.name, (Tensor)p.parameter))
            .Append(("enas-baseline", _baseline))
            .Concat(_optimizer.State().Select(s => ("enas-adam/" + s.Name, s.Tensor)));

    public void LoadState(Checkpoints.LoadedCheckpoint checkpoint)
    {
        if (!checkpoint.Tensors.TryGetValue("enas-baseline", out var baseline))
            throw new Checkpoints.CheckpointException(checkpoint.Path, "it lacks ENAS's baseline 'enas-baseline'");
        Checkpoints.NetworkState.Load(Controller, checkpoint.WithPrefix("enas/"), checkpoint.Path);
        try { _optimizer.Load(checkpoint.WithPrefix("enas-adam/")); }
        catch (ArgumentException e) { throw new Checkpoints.CheckpointException(checkpoint.Path, e.Message); }
        using var noGrad = torch.no_grad();
        _baseline.copy_(baseline);
    }

    public void Dispose()
    {
        _optimizer.Dispose();
        Controller.Dispose();
        _baseline.Dispose();
    }
}

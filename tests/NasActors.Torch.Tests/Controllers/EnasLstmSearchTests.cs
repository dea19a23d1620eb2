using NasActors.Core.Controllers;
using NasActors.Core.Spaces;
using NasActors.Torch.Controllers;

namespace NasActors.Torch.Tests.Controllers;

/// <summary>Issue 15, item 2: ENAS's LSTM policy as the population controller <c>enas-lstm</c>.</summary>
public sealed class EnasLstmSearchTests
{
    private static readonly LayerChoiceSpace Space = LayerChoiceSpace.Uniform("six", 6, 4);
    private static readonly Architecture Target = new([3, 1, 0, 2, 3, 1]);

    /// <summary>The share of decisions that match <see cref="Target"/>: every decision rewarded on its own.</summary>
    private static double Synthetic(Architecture a) => Enumerable.Range(0, Target.Count).Count(i => a[i] == Target[i]) / (double)Target.Count;

    private static EnasLstmSearch Make(long seed, int budget, Dictionary<string, string>? settings = null)
    {
        TorchControllers.Register();
        return (EnasLstmSearch)ControllerFactory.Create(EnasLstmSearch.ControllerName, new SearchContext(Space, seed, budget), settings);
    }

    private static List<double> Drive(IController c)
    {
        var rewards = new List<double>();
        while (!c.IsDone)
        {
            var batch = c.Propose(int.MaxValue);
            Assert.NotEmpty(batch);
            foreach (var candidate in batch)
            {
                rewards.Add(Synthetic(candidate.Architecture));
                c.Tell(new EvaluationResult(candidate.Architecture, rewards[^1]));
            }
        }
        return rewards;
    }

    [Fact]
    public void On_a_synthetic_reward_the_controller_converges_to_the_rewarded_decisions()
    {
        var c = Make(seed: 3, budget: 300, new Dictionary<string, string> { ["learning_rate"] = "0.02" });
        var rewards = Drive(c);
        Assert.Equal(Target, c.Greedy());
        var first = rewards.Take(50).Average();
        var last = rewards.TakeLast(50).Average();
        Assert.True(last > first + 0.2, $"mean reward of the first 50 {first:F3}, of the last 50 {last:F3}");
    }

    [Fact]
    public void It_is_known_to_the_controller_factory_and_refuses_an_unknown_setting_naming_it()
    {
        TorchControllers.Register();
        Assert.Contains(EnasLstmSearch.ControllerName, ControllerNames.All);
        var e = Assert.Throws<ControllerSettingsException>(() => ControllerFactory.Prepare(EnasLstmSearch.ControllerName, new Dictionary<string, string> { ["hidden"] = "10" }));
        Assert.Equal("hidden", e.Key);
        Assert.Equal("learning_rate", Assert.Throws<ControllerSettingsException>(() =>
            ControllerFactory.Prepare(EnasLstmSearch.ControllerName, new Dictionary<string, string> { ["learning_rate"] = "0" })).Key);
        Assert.Throws<ArgumentException>(() => ControllerFactory.Register(ControllerNames.Reinforce, _ => _ => null!));
    }

    [Fact]
    public void The_same_seed_proposes_the_same_architectures_and_another_seed_others()
    {
        IEnumerable<string> Run(long seed)
        {
            var c = Make(seed, budget: 20, new Dictionary<string, string> { ["batch"] = "4" });
            var proposed = new List<string>();
            while (!c.IsDone)
                foreach (var candidate in c.Propose(int.MaxValue))
                {
                    proposed.Add(candidate.Architecture.ToString());
                    c.Tell(new EvaluationResult(candidate.Architecture, Synthetic(candidate.Architecture)));
                }
            return proposed;
        }
        var once = Run(5).ToArray();
        Assert.Equal(20, once.Distinct().Count());
        Assert.Equal(once, Run(5));
        Assert.NotEqual(once, Run(6));
    }
}

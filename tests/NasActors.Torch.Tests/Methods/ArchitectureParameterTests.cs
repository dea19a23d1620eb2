using NasActors.Core.Spaces;
using NasActors.Torch.Methods;
using NasActors.Torch.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NasActors.Torch.Tests.Methods;

public sealed class ArchitectureParameterTests
{
    [Fact]
    public void Named_state_Adam_steps_exactly_like_torch_optim_Adam()
    {
        var generator = new Generator(3);
        using var start = torch.randn([7], generator: generator);
        var mine = new Parameter(start.clone(), requires_grad: true);
        var theirs = new Parameter(start.clone(), requires_grad: true);
        using var adam = new AdamOptimizer([("a", mine)], 0.5, 0.999, weightDecay: 1e-3);
        using var reference = torch.optim.Adam([theirs], lr: 3e-4, beta1: 0.5, beta2: 0.999, weight_decay: 1e-3);
        for (var step = 0; step < 5; step++)
        {
            var gradient = torch.randn([7], generator: generator);
            mine.grad = gradient.clone();
            theirs.grad = gradient.clone();
            adam.Step(3e-4);
            reference.step();
        }
        Assert.True(mine.allclose(theirs, rtol: 1e-6, atol: 1e-9), "Adam diverged from torch.optim.Adam");
        Assert.False(mine.eq(start).all().item<bool>());
    }

    [Fact]
    public void Adam_state_restored_from_its_named_tensors_continues_identically()
    {
        var generator = new Generator(4);
        var a = new Parameter(torch.randn([3], generator: generator), requires_grad: true);
        var b = new Parameter(a.detach().clone(), requires_grad: true);
        using var first = new AdamOptimizer([("x", a)], 0.9, 0.999, 0);
        a.grad = torch.ones(3);
        first.Step(0.1);
        using var second = new AdamOptimizer([("x", b)], 0.9, 0.999, 0);
        second.Load(first.State().ToDictionary(s => s.Name, s => s.Tensor));
        using (torch.no_grad()) b.copy_(a);
        a.grad = torch.full([3], 0.5);
        b.grad = torch.full([3], 0.5);
        first.Step(0.1);
        second.Step(0.1);
        Assert.True(a.eq(b).all().item<bool>());
        Assert.Throws<ArgumentException>(() => second.Load(new Dictionary<string, Tensor> { ["exp_avg/y"] = torch.zeros(3) }));
    }

    [Fact]
    public void The_k_most_probable_architectures_are_those_of_an_exhaustive_ranking()
    {
        var rng = new Random(7);
        var probabilities = Enumerable.Range(0, 4).Select(_ =>
        {
            var raw = Enumerable.Range(0, 3).Select(_ => rng.NextDouble() + 0.05).ToArray();
            return raw.Select(r => r / raw.Sum()).ToArray();
        }).ToArray();
        var distribution = new ArchitectureDistribution(probabilities);
        var all = Enumerable.Range(0, 81).Select(n => new[] { n % 3, n / 3 % 3, n / 9 % 3, n / 27 })
            .Select(c => (Architecture: new Architecture(c), P: c.Select((choice, i) => probabilities[i][choice]).Aggregate(1.0, (x, y) => x * y)))
            .OrderByDescending(x => x.P).ToList();
        var top = distribution.MostProbable(10);
        Assert.Equal(all.Take(10).Select(x => x.Architecture), top.Select(t => t.Architecture));
        Assert.Equal(all[0].P, top[0].Probability, 1e-12);
        Assert.Equal(all[0].Architecture, distribution.Argmax());
    }

    [Fact]
    public void A_uniform_distribution_has_normalised_entropy_one_and_a_certain_one_zero()
    {
        Assert.Equal(1.0, new ArchitectureDistribution([[0.25, 0.25, 0.25, 0.25], [0.5, 0.5]]).NormalizedEntropy(), 12);
        Assert.Equal(0.0, new ArchitectureDistribution([[0, 1.0, 0], [1.0, 0]]).NormalizedEntropy(), 12);
    }

    [Fact]
    public void The_architecture_split_is_a_stratified_part_of_the_training_split_only()
    {
        var data = TestData.Embedded;
        var (weights, architecture) = data.ArchitectureSplit(0.5, 9);
        Assert.Empty(weights.Intersect(architecture));
        Assert.Equal(data.Split.Train.Order(), weights.Concat(architecture).Order());
        Assert.Empty(architecture.Intersect(data.Split.Validation));
        for (var c = 0; c < data.Bundle.Classes; c++)
        {
            var inTrain = data.Split.Train.Count(i => data.Bundle.Train.Labels[i] == c);
            Assert.InRange(architecture.Count(i => data.Bundle.Train.Labels[i] == c), inTrain / 2 - 1, inTrain / 2 + 1);
        }
        Assert.Equal(architecture, data.ArchitectureSplit(0.5, 9).Architecture);
    }
}

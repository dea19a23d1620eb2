using NasActors.Core.Spaces.Blocks;
using NasActors.Torch.Methods;
using NasActors.Torch.Methods.Darts;
using NasActors.Torch.Supernet;
using NasActors.Torch.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NasActors.Torch.Tests.Methods;

public sealed class DartsTests
{
    internal static SupernetTrainer Trainer(SupernetTrainingOptions options, BlockSpace? space = null)
    {
        var (weights, architecture) = TestData.Embedded.TrainingLoaders(options);
        return new SupernetTrainer(space ?? BlockSpaces.FmnistMb(), weights, options, CPU, 1, architecture);
    }

    private static SupernetTrainingOptions Options(bool secondOrder) =>
        DartsMethod.Recipe(new SupernetTrainingOptions { Steps = 4, BatchSize = 8, Seed = 2 }) with
        {
            Architecture = new ArchitectureOptions { SecondOrder = secondOrder },
        };

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Gradients_reach_every_architecture_parameter_and_the_architecture_step_leaves_the_weights_unchanged(bool secondOrder)
    {
        using var trainer = Trainer(Options(secondOrder));
        trainer.TrainStep(); // momentum buffers exist: the virtual step uses them
        var method = (DartsMethod)trainer.Method;
        var before = trainer.Network.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        var alphasBefore = method.Alphas.Select(a => a.detach().clone()).ToArray();

        method.ArchitectureStep(1, 0.02);

        foreach (var (name, tensor) in trainer.Network.state_dict())
            Assert.True(tensor.eq(before[name]).all().item<bool>(), $"{name} changed in the architecture step");
        for (var i = 0; i < alphasBefore.Length; i++)
        {
            using var moved = method.Alphas[i].detach().ne(alphasBefore[i]);
            Assert.True(moved.all().item<bool>(), $"alpha.{i}: some entries got no gradient ({moved.logical_not().sum().item<long>()} unmoved)");
        }
    }

    [Fact]
    public void A_DARTS_step_on_fmnist_cell_reaches_every_alpha()
    {
        using var trainer = Trainer(Options(secondOrder: false), BlockSpaces.FmnistCells());
        var method = (DartsMethod)trainer.Method;
        Assert.Equal(CellSpace.Edges, method.Alphas.Count);
        var alphasBefore = method.Alphas.Select(a => a.detach().clone()).ToArray();
        var weightsBefore = trainer.Network.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());

        method.ArchitectureStep(0, 0.02);

        for (var i = 0; i < alphasBefore.Length; i++)
        {
            using var moved = method.Alphas[i].detach().ne(alphasBefore[i]);
            Assert.True(moved.all().item<bool>(), $"edge {i}: some operations' alpha got no gradient ({moved.logical_not().sum().item<long>()} unmoved)");
        }
        foreach (var (name, tensor) in trainer.Network.state_dict())
            Assert.True(tensor.eq(weightsBefore[name]).all().item<bool>(), $"{name} changed in the architecture step");
    }

    [Fact]
    public void DARTS_discretisation_on_a_hand_set_alpha_picks_the_strongest_operation_other_than_none_per_edge()
    {
        using var trainer = Trainer(Options(secondOrder: false), BlockSpaces.FmnistCells());
        var method = (DartsMethod)trainer.Method;
        // alpha per edge over (none, skip, conv1x1, conv3x3, avg-pool): none is the strongest on edges 0, 2 and 5.
        float[][] alpha =
        [
            [5, 1, 3, 2, 0], // none strongest, then conv 1x1
            [0, 4, 1, 2, 3], // skip
            [9, 0, 0, 0, 1], // none, then avg-pool
            [0, 1, 2, 3, 0], // conv 3x3
            [1, 2, 0, 0, 0], // skip
            [7, 0, 6, 6.5f, 0], // none, then conv 3x3
        ];
        using (no_grad())
            for (var i = 0; i < alpha.Length; i++) method.Alphas[i].copy_(tensor(alpha[i]));

        var derived = Assert.Single(method.Derived());

        Assert.Equal(new[] { CellSpace.Conv1x1, CellSpace.Skip, CellSpace.AvgPool, CellSpace.Conv3x3, CellSpace.Skip, CellSpace.Conv3x3 }, derived.ToArray());
        Assert.Equal(new[] { CellSpace.None, CellSpace.Skip, CellSpace.None, CellSpace.Conv3x3, CellSpace.Skip, CellSpace.None }, method.Distribution!.Argmax().ToArray());
        Assert.Equal((2, 0), CellSpace.SkipAndNone(derived));
        Assert.Equal("|nor_conv_1x1~0|+|skip_connect~0|avg_pool_3x3~1|+|nor_conv_3x3~0|skip_connect~1|nor_conv_3x3~2|", trainer.Space.Format(derived));
    }

    [Fact]
    public void The_weight_step_leaves_the_architecture_parameters_unchanged()
    {
        using var trainer = Trainer(Options(secondOrder: false));
        var method = (DartsMethod)trainer.Method;
        var alphasBefore = method.Alphas.Select(a => a.detach().clone()).ToArray();
        var weightBefore = trainer.Network.named_parameters().First(p => p.name.StartsWith("layers.5.5")).parameter.detach().clone();
        method.WeightStep(0, 0.025);
        for (var i = 0; i < alphasBefore.Length; i++)
            Assert.True(method.Alphas[i].eq(alphasBefore[i]).all().item<bool>(), $"alpha.{i} moved in the weight step");
        var weightAfter = trainer.Network.named_parameters().First(p => p.name.StartsWith("layers.5.5")).parameter;
        Assert.False(weightAfter.eq(weightBefore).all().item<bool>(), "the weight step trained no block of the last layer's last choice");
    }

    /// <summary>
    /// On a small smooth network: two layers of three tanh choices mixed by softmax(alpha). (In a ReLU network any finite
    /// difference of the weights crosses activation kinks, where the architecture gradient jumps; measured on a tiny
    /// block supernet in float64, the central difference did not converge as eps shrank. The approximation is what is
    /// tested here, so the network is smooth.)
    /// </summary>
    [Fact]
    public void The_second_order_hypergradient_matches_the_exact_one_on_a_small_network()
    {
        var generator = new Generator(5);
        Parameter Draw(params long[] shape) => new(torch.randn(shape, generator: generator).mul(0.7), requires_grad: true);
        var weights = new List<(string Name, Parameter Parameter)>();
        for (var layer = 0; layer < 2; layer++)
            for (var choice = 0; choice < 3; choice++)
            {
                weights.Add(($"layers.{layer}.{choice}.weight", Draw(4, 4)));
                weights.Add(($"layers.{layer}.{choice}.bias", Draw(4)));
            }
        weights.Add(("classifier.weight", Draw(3, 4)));
        var alphas = new[] { Draw(3), Draw(3) };
        var (xt, yt) = (torch.randn([16, 4], generator: generator), torch.randint(0, 3, [16], generator: generator));
        var (xv, yv) = (torch.randn([16, 4], generator: generator), torch.randint(0, 3, [16], generator: generator));
        Tensor Loss(Tensor x, Tensor y)
        {
            var h = x;
            for (var layer = 0; layer < 2; layer++)
            {
                var p = alphas[layer].softmax(0);
                h = Enumerable.Range(0, 3).Select(c => torch.tanh(nn.functional.linear(h,
                        weights[2 * (3 * layer + c)].Parameter, weights[2 * (3 * layer + c) + 1].Parameter)).mul(p[c]))
                    .Aggregate((a, b) => a.add(b));
            }
            return nn.functional.cross_entropy(nn.functional.linear(h, weights[^1].Parameter), y);
        }
        using var optimizer = new SgdMomentum(weights, momentum: 0.9, weightDecay: 3e-4);
        Loss(xt, yt).backward(); // one real step, so the virtual step has momentum buffers to use
        optimizer.Step(0.1);
        foreach (var p in weights.Select(w => w.Parameter).Concat(alphas)) p.grad = null;
        const double xi = 0.5;

        var approximate = DartsMethod.UnrolledHypergradient(weights, alphas, () => Loss(xt, yt), () => Loss(xv, yv), xi, optimizer);

        // The exact one, written out independently: the virtual step, the validation gradients at w', then the
        // Hessian-vector product d/dalpha (dL_train/dw . v) by double backward.
        var w = weights.Select(p => (Tensor)p.Parameter).ToList();
        var saved = w.Select(t => t.detach().clone()).ToArray();
        var g = torch.autograd.grad([Loss(xt, yt)], w);
        using (torch.no_grad())
            for (var k = 0; k < w.Count; k++)
            {
                var d = w[k].dim() > 1 ? g[k].add(w[k].mul(3e-4)) : g[k];
                d = optimizer.MomentumBuffers[weights[k].Name].mul(0.9).add(d);
                w[k].sub_(d.mul(xi));
            }
        var valid = torch.autograd.grad([Loss(xv, yv)], alphas.Cast<Tensor>().Concat(w).ToList());
        var direct = valid.Take(alphas.Length).ToArray();
        var v = valid.Skip(alphas.Length).ToArray();
        using (torch.no_grad())
            for (var k = 0; k < w.Count; k++) w[k].copy_(saved[k]);
        // retain_graph with create_graph, as PyTorch defaults it: the second backward runs through the first one's graph.
        var trainGradient = torch.autograd.grad([Loss(xt, yt)], w, retain_graph: true, create_graph: true);
        var dot = Enumerable.Range(0, w.Count).Select(k => trainGradient[k].mul(v[k]).sum()).Aggregate((a, b) => a.add(b));
        var hessianVector = torch.autograd.grad([dot], alphas.Cast<Tensor>().ToList());
        var exact = direct.Select((d, i) => d.sub(hessianVector[i].mul(xi))).ToArray();

        // The implicit term alone (where the approximation is), then the whole hypergradient.
        var approximateImplicit = torch.cat(approximate.Select((a, i) => a.sub(direct[i])).ToArray());
        var exactImplicit = torch.cat(exact.Select((e, i) => e.sub(direct[i])).ToArray());
        Assert.True(exactImplicit.norm().item<float>() > 0.1 * torch.cat(direct).norm().item<float>(), "the implicit term is too small to test");
        var implicitError = approximateImplicit.sub(exactImplicit).norm().item<float>() / exactImplicit.norm().item<float>();
        var error = torch.cat(approximate).sub(torch.cat(exact)).norm().item<float>() / torch.cat(exact).norm().item<float>();
        Assert.True(implicitError < 1e-2, $"the implicit term's relative error is {implicitError:E2}");
        Assert.True(error < 1e-2, $"the hypergradient's relative error is {error:E2}");
        for (var k = 0; k < w.Count; k++)
            Assert.True(w[k].eq(saved[k]).all().item<bool>(), $"{weights[k].Name} was not restored");
    }

    [Fact]
    public void A_checkpoint_holds_the_distribution_and_its_argmax()
    {
        using var folder = new TempFolder();
        using var trainer = Trainer(Options(secondOrder: false));
        var metrics = trainer.TrainStep();
        Assert.NotNull(metrics.ArchitectureEntropy);
        Assert.InRange(metrics.ArchitectureEntropy!.Value, 0.99, 1.0); // alpha starts at 1e-3 * N(0, 1): near uniform
        var info = trainer.SaveCheckpoint(folder.Path, TestData.Embedded.Metadata());
        using var loaded = NasActors.Torch.Checkpoints.Checkpoint.Load(info.Path);
        Assert.Equal(trainer.Method.Distribution!.Argmax().ToString(), loaded.Require("architecture"));
        Assert.Equal(metrics.Argmax, loaded.Require("architecture"));
        Assert.Equal(6, loaded.WithPrefix("arch/").Count);
        // Scoring reads the weights of a DARTS checkpoint like any supernet's.
        using var network = NasActors.Torch.Checkpoints.SupernetCheckpoint.LoadNetwork(loaded, CPU);
        Assert.True(network.IsSupernet);
    }
}

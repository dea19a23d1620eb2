using NasActors.Core.Spaces.Blocks;
using NasActors.Torch.Methods;
using NasActors.Torch.Methods.FbNet;
using NasActors.Torch.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace NasActors.Torch.Tests.Methods;

public sealed class FbNetTests
{
    [Fact]
    public void Gumbel_softmax_samples_pick_each_choice_as_often_as_its_softmax_probability()
    {
        using var logits = torch.tensor(new float[] { 1.0f, 0.0f, -0.5f, 2.0f });
        var expected = logits.softmax(0).data<float>().ToArray();
        var generator = new Generator(11);
        const int draws = 20000;
        using var repeated = logits.expand(draws, 4);
        using var samples = GumbelSoftmax.Sample(repeated, 0.5, generator);
        Assert.True(samples.sum(1).allclose(torch.ones(draws), rtol: 0, atol: 1e-5), "samples must sum to 1");
        var winners = samples.argmax(1).data<long>().ToArray();
        for (var c = 0; c < 4; c++)
            Assert.InRange(winners.Count(w => w == c) / (double)draws, expected[c] - 0.015, expected[c] + 0.015);
    }

    [Fact]
    public void Gumbel_softmax_is_near_one_hot_at_a_low_temperature_and_flat_at_a_high_one()
    {
        using var logits = torch.zeros(1000, 5);
        var generator = new Generator(12);
        using var cold = GumbelSoftmax.Sample(logits, 0.01, generator);
        using var hot = GumbelSoftmax.Sample(logits, 100, generator);
        Assert.True(cold.max(1).values.mean().item<float>() > 0.95f, "cold samples are not near one-hot");
        Assert.True(hot.max(1).values.max().item<float>() < 0.25f, "hot samples are not near uniform");
    }

    [Fact]
    public void Gumbel_softmax_passes_gradients_to_the_logits()
    {
        var logits = torch.zeros(3).requires_grad_();
        var sample = GumbelSoftmax.Sample(logits, 1, new Generator(1));
        var grad = torch.autograd.grad([sample[0]], [logits])[0];
        Assert.True(grad.abs().sum().item<float>() > 0);
    }

    [Fact]
    public void The_Gumbel_temperature_falls_as_tau0_times_exp_of_minus_0_045_per_epoch()
    {
        var options = FbNetMethod.Recipe(new SupernetTrainingOptions { Steps = 10, BatchSize = 8 });
        var (weights, architecture) = TestData.Embedded.TrainingLoaders(options);
        using var trainer = new SupernetTrainer(BlockSpaces.FmnistMb(), weights, options, CPU, 1, architecture);
        var method = (FbNetMethod)trainer.Method;
        var epoch = weights.BatchesPerEpoch;
        Assert.Equal(5.0, method.TemperatureAt(0));
        Assert.Equal(5.0, method.TemperatureAt(epoch - 1));
        Assert.Equal(5 * Math.Exp(-0.045), method.TemperatureAt(epoch), 12);
        Assert.Equal(5 * Math.Exp(-0.45), method.TemperatureAt(10 * epoch), 12);
    }

    [Fact]
    public void FBNet_gradients_reach_every_theta_through_the_latency_loss_and_leave_the_weights_unchanged()
    {
        using var trainer = MethodResumeTests.Trainer("fbnet", false, 4);
        var method = (FbNetMethod)trainer.Method;
        var before = trainer.Network.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        var thetas = method.Alphas.Select(a => a.detach().clone()).ToArray();
        method.ArchitectureStep(0, 0.1);
        foreach (var (name, tensor) in trainer.Network.state_dict())
            Assert.True(tensor.eq(before[name]).all().item<bool>(), $"{name} changed in the architecture step");
        for (var i = 0; i < thetas.Length; i++)
            Assert.True(method.Alphas[i].ne(thetas[i]).all().item<bool>(), $"theta.{i} did not move everywhere");
    }

    [Fact]
    public void The_latency_losses_follow_their_published_forms()
    {
        using var ce = torch.tensor(2.0);
        using var latency = torch.tensor(30.0);
        Assert.Equal(2 + 0.1 * (30 - 20) / 20.0, LatencyLoss.Additive(ce, latency, 0.1, 20).item<double>(), 12);
        Assert.Equal(2 * 0.2 * Math.Pow(Math.Log(30) / Math.Log(20), 0.3), LatencyLoss.Multiplicative(ce, latency, 0.2, 0.3, 20).item<double>(), 12);
        Assert.Equal(2 * 0.2 * Math.Pow(Math.Log(30), 0.6), LatencyLoss.Multiplicative(ce, latency, 0.2, 0.6, Math.E).item<double>(), 12);
        var table = (Fixed: 1.0, PerChoice: new[] { new[] { 2.0, 4.0 }, new[] { 10.0, 20.0, 30.0 } });
        using var p0 = torch.tensor(new[] { 0.25, 0.75 });
        using var p1 = torch.tensor(new[] { 0.5, 0.5, 0.0 });
        Assert.Equal(1 + 0.25 * 2 + 0.75 * 4 + 0.5 * 10 + 0.5 * 20, LatencyLoss.Expected([p0, p1], table).item<double>(), 12);
    }
}

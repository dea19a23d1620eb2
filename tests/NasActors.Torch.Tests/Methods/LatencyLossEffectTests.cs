using NasActors.Core.Costs;
using NasActors.Core.Spaces.Blocks;
using NasActors.Torch.Methods.FbNet;
using NasActors.Torch.Methods.ProxylessNas;
using NasActors.Torch.Training;
using static TorchSharp.torch;

namespace NasActors.Torch.Tests.Methods;

/// <summary>
/// The latency losses steer the search: with the loss on, the derived architecture (argmax of the architecture
/// distribution) is faster by the table than with it off, same seed, same data, same code path (the table is given in
/// both runs; "off" is lambda = 0 for ProxylessNAS's additive loss, beta = 0 for FBNet's CE * alpha * (log LAT)^beta).
/// The table is SYNTHETIC: choice c of every layer takes 2^c ms, so the latency term clearly outweighs a few steps
/// of cross-entropy noise; a measured table of fmnist-mbconv differs by only ~30% between choices (docs/latency-table.md).
/// </summary>
public sealed class LatencyLossEffectTests
{
    private const int Steps = 6;

    private static AdditiveCostModel SteepTable(BlockSpace space) => new(space, new Dictionary<string, (double, double[][])>
    {
        [CostMetrics.Latency] = (2.0, space.ChoiceCounts.Select(m => Enumerable.Range(0, m).Select(c => Math.Pow(2, c)).ToArray()).ToArray()),
    });

    private static double DerivedTableLatency(SupernetTrainingOptions options)
    {
        var space = BlockSpaces.FmnistMb();
        var table = SteepTable(space);
        var (weights, architecture) = TestData.Embedded.TrainingLoaders(options);
        using var trainer = new SupernetTrainer(space, weights, options, CPU, 1, architecture, table);
        for (var s = 0; s < Steps; s++) trainer.TrainStep();
        return table.Cost(CostMetrics.Latency, trainer.Method.Distribution!.Argmax());
    }

    [Fact]
    public void ProxylessNAS_with_the_latency_loss_on_derives_an_architecture_faster_by_the_table_than_with_lambda_zero()
    {
        SupernetTrainingOptions Options(double lambda) => ProxylessNasMethod.Recipe(new SupernetTrainingOptions { Steps = Steps, BatchSize = 8, Seed = 3 }) with
        {
            Architecture = new ArchitectureOptions { LatencyLoss = "additive", LatencyLambda = lambda, LatencyReference = 20 },
        };
        var off = DerivedTableLatency(Options(0));
        var on = DerivedTableLatency(Options(1));
        Assert.True(on < off, $"table latency of the derived architecture: {on} ms with lambda 1, {off} ms with lambda 0");
    }

    [Fact]
    public void FBNet_with_the_latency_loss_on_derives_an_architecture_faster_by_the_table_than_with_the_loss_off()
    {
        SupernetTrainingOptions Options(double beta) => FbNetMethod.Recipe(new SupernetTrainingOptions { Steps = Steps, BatchSize = 8, Seed = 3 }) with
        {
            Architecture = new ArchitectureOptions { LatencyBeta = beta },
        };
        var off = DerivedTableLatency(Options(0));
        var on = DerivedTableLatency(Options(FbNetMethod.LatencyBeta));
        Assert.True(on < off, $"table latency of the derived architecture: {on} ms with beta {FbNetMethod.LatencyBeta}, {off} ms with beta 0");
    }
}

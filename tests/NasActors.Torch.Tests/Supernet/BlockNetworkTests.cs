using NasActors.Core.Costs;
using NasActors.Core.Determinism;
using NasActors.Core.Spaces;
using NasActors.Core.Spaces.Blocks;
using NasActors.Torch.Supernet;
using static TorchSharp.torch;

namespace NasActors.Torch.Tests.Supernet;

public sealed class BlockNetworkTests
{
    public static TheoryData<string, string> Paths => new()
    {
        { BlockSpaces.SposShuffleNet, "21012020202300003233" },
        { BlockSpaces.FairNasMbConv, "2023500551311335354" },
        { BlockSpaces.FairNasMbConv, "1020000003000055334" },
        { BlockSpaces.FmnistMbConv, "503142" },
        { BlockSpaces.FmnistShuffleNet, "312030" },
    };

    [Theory]
    [MemberData(nameof(Paths))]
    public void Stand_alone_module_has_exactly_the_parameter_count_the_cost_model_predicts(string spaceName, string arch)
    {
        var space = BlockSpaces.Get(spaceName);
        var a = space.Parse(arch);
        using var network = BlockNetwork.StandAlone(space, a);
        var counted = network.parameters().Sum(p => p.numel());
        Assert.Equal((long)space.CostModel().Cost(CostMetrics.Params, a), counted);
    }

    [Theory]
    [InlineData(BlockSpaces.FmnistMbConv)]
    [InlineData(BlockSpaces.FmnistShuffleNet)]
    public void Supernet_path_parameters_are_the_stand_alone_count_less_the_BatchNorm_affine_parameters(string spaceName)
    {
        var space = BlockSpaces.Get(spaceName);
        using var supernet = BlockNetwork.Supernet(space);
        var rng = new DeterministicRandom(4);
        for (var trial = 0; trial < 5; trial++)
        {
            var path = new Architecture(space.ChoiceCounts.Select(rng.NextInt).ToArray());
            var onPath = supernet.PathModules(path).Sum(m => m.parameters().Sum(p => p.numel()));
            using var standAlone = BlockNetwork.StandAlone(space, path);
            var affine = standAlone.modules().OfType<NasActors.Torch.Supernet.Blocks.PathBatchNorm>().Sum(bn => 2 * bn.Features);
            Assert.Equal(standAlone.parameters().Sum(p => p.numel()) - affine, onPath);
        }
    }

    [Theory]
    [InlineData(BlockSpaces.FmnistMbConv)]
    [InlineData(BlockSpaces.FmnistShuffleNet)]
    public void Every_path_of_a_CPU_space_maps_a_batch_to_class_logits(string spaceName)
    {
        using var scope = NewDisposeScope();
        var space = BlockSpaces.Get(spaceName);
        using var supernet = BlockNetwork.Supernet(space);
        var x = randn(4, 1, 28, 28);
        for (var choice = 0; choice < space.ChoiceCounts[0]; choice++)
        {
            var logits = supernet.Forward(x, new Architecture(space.ChoiceCounts.Select(_ => choice)));
            Assert.Equal(new long[] { 4, 10 }, logits.shape);
        }
    }

    [Fact]
    public void A_supernet_refuses_a_path_of_the_wrong_length()
    {
        using var scope = NewDisposeScope();
        var space = BlockSpaces.FmnistMb();
        using var supernet = BlockNetwork.Supernet(space);
        Assert.Throws<ArgumentException>(() => supernet.Forward(randn(1, 1, 28, 28), Architecture.Of(0, 1)));
    }
}

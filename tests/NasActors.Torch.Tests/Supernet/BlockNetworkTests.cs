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
        { BlockSpaces.FmnistCell, "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|" },
        { BlockSpaces.FmnistCell, "|nor_conv_1x1~0|+|skip_connect~0|avg_pool_3x3~1|+|none~0|nor_conv_3x3~1|none~2|" },
        { BlockSpaces.FmnistCell, "000000" },
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
    [InlineData(BlockSpaces.FmnistCell)]
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
    [InlineData(BlockSpaces.FmnistCell)]
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
    public void A_cell_supernet_has_one_unit_per_edge_of_every_cell_and_a_stand_alone_cell_network_runs_its_own_operations()
    {
        using var scope = NewDisposeScope();
        var space = BlockSpaces.FmnistCells();
        using var supernet = BlockNetwork.Supernet(space, initSeed: 1);
        Assert.Equal(space.Cells * CellSpace.Edges, supernet.Units.Count);
        Assert.Equal(Enumerable.Range(0, space.Cells).SelectMany(_ => Enumerable.Range(0, CellSpace.Edges)), supernet.Units.Select(u => u.Decision));
        Assert.Throws<InvalidOperationException>(() => supernet.Block(0, 0));

        var a = space.Parse("|nor_conv_3x3~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|nor_conv_1x1~1|skip_connect~2|");
        using var standAlone = BlockNetwork.StandAlone(space, a, initSeed: 1);
        var convs = standAlone.modules().OfType<TorchSharp.Modules.Conv2d>().Count();
        // stem 1; per cell: conv 3x3 and conv 1x1; per reduction: conv_a, conv_b and the shortcut's 1x1.
        Assert.Equal(1 + 2 * space.Cells + 3 * (space.Stages.Count - 1), convs);
        Assert.Equal(new long[] { 2, 10 }, standAlone.forward(randn(2, 1, 28, 28)).shape);
    }

    [Fact]
    public void A_supernet_refuses_a_path_of_the_wrong_length()
    {
        using var scope = NewDisposeScope();
        var space = BlockSpaces.FmnistMb();
        using var supernet = BlockNetwork.Supernet(space);
        Assert.Throws<ArgumentException>(() => supernet.Forward(randn(1, 1, 28, 28), Architecture.Of(0, 1)));
    }

    [Theory]
    [InlineData(BlockSpaces.FmnistMbConv, "503142")]
    [InlineData(BlockSpaces.FmnistShuffleNet, "312030")]
    public void On_a_CPU_a_path_runs_channels_last_from_the_stem_convolution_output_with_the_values_of_the_contiguous_layout(string spaceName, string arch)
    {
        using var scope = NewDisposeScope();
        var space = BlockSpaces.Get(spaceName);
        var path = space.Parse(arch);
        using var supernet = BlockNetwork.Supernet(space, initSeed: 3);
        supernet.eval();
        using var _ = no_grad();
        var x = randn(8, 1, 28, 28, generator: new TorchSharp.torch.Generator(5));
        var logits = supernet.Forward(x, path);
        var modules = supernet.PathModules(path).Cast<TorchSharp.torch.nn.Module<Tensor, Tensor>>().ToList();
        Tensor Blocks(Tensor h) => modules.Skip(1).Take(path.Count).Aggregate(h, (t, block) => block.call(t));

        // From the stem's first conv-BN-ReLU on (the switch sits between its conv and its BatchNorm, so that their
        // backward passes see one layout), the stem's output and the last block's output are channels-last.
        var firstConvBn = modules[0].named_children().First(c => c.name == "conv").module;
        Assert.Equal(new[] { "conv", "layout", "bn", "relu" }, firstConvBn.named_children().Select(c => c.name));
        Assert.Equal(1, ((TorchSharp.torch.nn.Module<Tensor, Tensor>)firstConvBn).call(x).stride(1));
        var laidOut = modules[0].call(x);
        Assert.Equal(1, laidOut.stride(1));
        Assert.Equal(laidOut.shape[1], laidOut.stride(3));
        Assert.Equal(1, Blocks(laidOut).stride(1));

        // Switched off, the same network runs NCHW-contiguous all the way, to the same logits up to rounding.
        Assert.True(supernet.ChannelsLastOnCpu);
        supernet.ChannelsLastOnCpu = false;
        Assert.True(Blocks(modules[0].call(x)).is_contiguous());
        var reference = supernet.Forward(x, path);
        Assert.True(logits.allclose(reference, rtol: 1e-4, atol: 1e-5), $"max difference {(logits - reference).abs().max().item<float>()}");
    }

    [Fact]
    public void The_shuffle_split_keeps_the_even_channels_and_processes_the_odd_ones_as_SPOS_reshape_does()
    {
        using var scope = NewDisposeScope();
        var x = randn(3, 8, 5, 5, generator: new TorchSharp.torch.Generator(2));
        // SPOS's channel shuffle, as published: reshape (b*c/2, 2, h*w), swap the first two axes, split in two.
        var halves = x.reshape(3 * 4, 2, 25).permute(1, 0, 2).reshape(2, -1, 4, 5, 5);
        foreach (var input in new[] { x, x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2) })
        {
            var (kept, processed) = NasActors.Torch.Supernet.Blocks.ShuffleNetBlock.SplitShuffled(input);
            Assert.True(kept.eq(halves[0]).all().item<bool>());
            Assert.True(processed.eq(halves[1]).all().item<bool>());
        }
    }
}

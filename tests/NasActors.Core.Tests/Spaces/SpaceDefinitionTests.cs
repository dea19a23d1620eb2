using NasActors.Core.Spaces.Blocks;

namespace NasActors.Core.Tests.Spaces;

public sealed class SpaceDefinitionTests
{
    [Fact]
    public void Every_named_space_has_its_own_stable_definition()
    {
        var hashes = BlockSpaces.Names.Select(n => BlockSpaces.Get(n).DefinitionHash()).ToList();
        Assert.Equal(hashes.Count, hashes.Distinct().Count());
        Assert.All(hashes, h => Assert.Matches("^[0-9a-f]{64}$", h));
        Assert.Equal(hashes, BlockSpaces.Names.Select(n => BlockSpaces.Get(n).DefinitionHash()));
    }

    [Fact]
    public void A_change_of_stride_width_or_dropout_changes_the_definition()
    {
        MbConvSpace Space(int stemStride = 2, int separableStride = 1, int last = 256, double dropout = 0.1) => new(
            "x", new ImageShape(1, 28, 28), 10, 16, stemStride, 16, [(16, 1), (24, 2)], last, dropout, separableStride);
        var reference = Space().DefinitionHash();
        Assert.Equal(reference, Space().DefinitionHash());
        Assert.NotEqual(reference, Space(stemStride: 1, separableStride: 2).DefinitionHash());
        Assert.NotEqual(reference, Space(last: 512).DefinitionHash());
        Assert.NotEqual(reference, Space(dropout: 0.2).DefinitionHash());
    }
}

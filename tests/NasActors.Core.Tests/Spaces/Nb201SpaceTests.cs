using NasActors.Core.Spaces;
using NasActors.Core.Spaces.Nb201;

namespace NasActors.Core.Tests.Spaces;

public class Nb201SpaceTests
{
    private const string Cell = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|";

    [Fact]
    public void A_cell_string_parses_to_six_operations_in_edge_order_and_formats_back()
    {
        var a = Nb201Space.Instance.Parse(Cell);
        Assert.Equal(Architecture.Of(3, 3, 4, 1, 3, 1), a);
        Assert.Equal(Cell, Nb201Space.Instance.Format(a));
        Assert.Equal(15625, Nb201Space.Instance.Size());
    }

    [Theory]
    [InlineData("|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|", "3 nodes")]
    [InlineData("|conv_5x5~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|", "unknown operation 'conv_5x5'")]
    [InlineData("|nor_conv_3x3~1|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|", "must come from node 0")]
    [InlineData("|nor_conv_3x3~0|+|nor_conv_3x3~0|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|", "has 2 input edges")]
    [InlineData("02012100", "3 nodes")]
    public void A_malformed_cell_string_is_rejected_with_the_reason(string text, string reason)
    {
        var e = Assert.Throws<ArchitectureFormatException>(() => Nb201Space.Instance.Parse(text));
        Assert.Contains(reason, e.Message);
    }

    [Fact]
    public void Every_cell_round_trips()
    {
        var space = Nb201Space.Instance;
        for (var i = 0; i < 15625; i += 7)
        {
            var choices = new int[6];
            for (int d = 5, x = i; d >= 0; d--, x /= 5) choices[d] = x % 5;
            var a = new Architecture(choices);
            Assert.Equal(a, space.Parse(space.Format(a)));
        }
    }
}

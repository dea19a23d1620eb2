using NasActors.Core.Costs;
using NasActors.Core.Spaces;
using NasActors.Core.Spaces.Blocks;
using Xunit.Abstractions;

namespace NasActors.Core.Tests.Spaces;

/// <summary>The analytic cost model reproduces the numbers published for SPOS and FairNAS.</summary>
public sealed class PublishedCostSpec(ITestOutputHelper output)
{
    private static Architecture FairNas(params (int E, int K)[] layers) =>
        new(layers.Select(l => MbConvSpace.ChoiceIndex(l.E, l.K)));

    public static readonly Architecture FairNasA = FairNas((3, 7), (3, 3), (3, 7), (6, 3), (6, 7), (3, 3), (3, 3), (6, 7), (6, 7), (3, 5), (6, 3), (3, 5), (3, 5), (6, 3), (6, 3), (6, 7), (6, 3), (6, 7), (6, 5));
    public static readonly Architecture FairNasB = FairNas((3, 5), (3, 3), (3, 5), (3, 3), (6, 3), (3, 5), (3, 7), (3, 3), (6, 3), (3, 5), (3, 3), (6, 3), (3, 7), (3, 3), (6, 7), (6, 5), (6, 7), (6, 3), (6, 5));
    public static readonly Architecture FairNasC = FairNas((3, 5), (3, 3), (3, 7), (3, 3), (3, 3), (3, 3), (3, 3), (3, 3), (3, 3), (6, 3), (3, 3), (3, 3), (3, 3), (3, 3), (6, 7), (6, 7), (6, 3), (6, 3), (6, 5));

    [Fact]
    public void Spos_searched_architecture_has_323M_flops_and_3_5M_params()
    {
        var space = BlockSpaces.SposImageNet();
        var arch = space.Parse("(2,1,0,1,2,0,2,0,2,0,2,3,0,0,0,0,3,2,3,3)");
        AssertPublished(space, arch, 323e6, 3.5e6);
    }

    [Theory]
    [InlineData("A", 388e6, 4.6e6)]
    [InlineData("B", 345e6, 4.5e6)]
    [InlineData("C", 321e6, 4.4e6)]
    public void FairNas_models_have_their_published_multiply_adds_and_params(string model, double flops, double parameters)
    {
        var arch = model switch { "A" => FairNasA, "B" => FairNasB, _ => FairNasC };
        AssertPublished(BlockSpaces.FairNasImageNet(), arch, flops, parameters);
    }

    private void AssertPublished(BlockSpace space, Architecture arch, double flops, double parameters)
    {
        var model = space.CostModel();
        var f = model.Cost(CostMetrics.Flops, arch);
        var p = model.Cost(CostMetrics.Params, arch);
        output.WriteLine($"{space.Name} {space.Format(arch)}: {f / 1e6:F1}M multiply-adds, {p / 1e6:F3}M params");
        Assert.InRange(f, flops * 0.99, flops * 1.01);
        Assert.InRange(p, parameters * 0.97, parameters * 1.03);
        Assert.Equal(space.Cost(arch).MultiplyAdds, f);
    }
}

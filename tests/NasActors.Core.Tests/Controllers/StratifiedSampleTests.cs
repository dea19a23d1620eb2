using NasActors.Core.Controllers;
using NasActors.Core.Controllers.Stratified;
using NasActors.Core.Costs;
using NasActors.Core.Ranking;

namespace NasActors.Core.Tests.Controllers;

/// <summary>The <c>stratified</c> controller of ranking studies: the study's K architectures, once.</summary>
public class StratifiedSampleTests
{
    [Fact]
    public void It_proposes_the_flops_stratified_sample_once_and_is_done()
    {
        var space = TestSpaces.Small;
        var costs = TestSpaces.Flops(space);
        var c = ControllerFactory.Create(ControllerNames.Stratified, new SearchContext(space, 9, 100, costs: costs),
            new Dictionary<string, string> { ["count"] = "8" });
        var proposed = c.Propose(int.MaxValue);
        Assert.Equal(FlopsStratifiedSample.Draw(space, costs, 8, 9), proposed.Select(p => p.Architecture));
        var flops = proposed.Select(p => costs.Cost(CostMetrics.Flops, p.Architecture)).ToArray();
        Assert.Equal(flops.Order(), flops); // one per stratum, from the cheapest stratum up
        Assert.True(flops[^1] - flops[0] > 15, "spread over the FLOPs range (16 to 46)");
        foreach (var p in proposed) c.Tell(new EvaluationResult(p.Architecture, 1));
        Assert.True(c.IsDone);
        Assert.Empty(c.Propose(int.MaxValue));
    }

    [Fact]
    public void The_budget_caps_k_and_constraints_restrict_the_pool()
    {
        var space = TestSpaces.Small;
        var costs = TestSpaces.Flops(space);
        var capped = ControllerFactory.Create(ControllerNames.Stratified, new SearchContext(space, 1, 5, costs: costs),
            new Dictionary<string, string> { ["count"] = "12" });
        Assert.Equal(5, capped.Propose(int.MaxValue).Count);
        // A budget of one (CI once drew it in a property test, and K = 1 was refused): one architecture, then done.
        var single = ControllerFactory.Create(ControllerNames.Stratified, new SearchContext(space, 1, 1, costs: costs));
        var one = Assert.Single(single.Propose(int.MaxValue));
        single.Tell(new EvaluationResult(one.Architecture, 1));
        Assert.True(single.IsDone);
        var constraints = new Constraints(space, costs, [new CostConstraint(CostMetrics.Flops, 20)]);
        var cheap = ControllerFactory.Create(ControllerNames.Stratified, new SearchContext(space, 1, 12, constraints, costs));
        var picks = cheap.Propose(int.MaxValue);
        Assert.NotEmpty(picks);
        Assert.All(picks, p => Assert.True(costs.Cost(CostMetrics.Flops, p.Architecture) <= 20));
    }

    [Fact]
    public void A_space_without_costs_and_a_count_below_two_are_named_errors()
    {
        var e = Assert.Throws<InvalidOperationException>(() =>
            ControllerFactory.Create(ControllerNames.Stratified, new SearchContext(TestSpaces.Small, 1, 10)).Propose(1));
        Assert.Contains("FLOPs", e.Message);
        Assert.Contains("count", Assert.Throws<ControllerSettingsException>(() =>
            ControllerFactory.Prepare(ControllerNames.Stratified, new Dictionary<string, string> { ["count"] = "1" })).Message);
    }

    [Fact]
    public void A_sample_seed_keeps_the_sample_whatever_the_search_seed_and_a_given_list_is_proposed_as_is()
    {
        var space = TestSpaces.Small;
        var costs = TestSpaces.Flops(space);
        IReadOnlyList<NasActors.Core.Spaces.Architecture> Draw(long searchSeed, Dictionary<string, string> settings) =>
            ControllerFactory.Create(ControllerNames.Stratified, new SearchContext(space, searchSeed, 100, costs: costs), settings)
                .Propose(int.MaxValue).Select(p => p.Architecture).ToArray();
        var settings = new Dictionary<string, string> { ["count"] = "6", ["sample-seed"] = "4" };
        Assert.Equal(FlopsStratifiedSample.Draw(space, costs, 6, 4), Draw(1, settings));
        Assert.Equal(Draw(1, settings), Draw(2, settings));
        var given = FlopsStratifiedSample.Draw(space, costs, 2, 7).Select(a => a.ToString()).ToArray();
        var listed = Draw(1, new Dictionary<string, string> { ["count"] = "1", ["architectures"] = string.Join(",", given) });
        Assert.Equal(given, listed.Select(a => a.ToString()));
        Assert.Contains("sample-seed", Assert.Throws<ControllerSettingsException>(() =>
            ControllerFactory.Prepare(ControllerNames.Stratified, new Dictionary<string, string> { ["sample-seed"] = "x" })).Message);
    }
}

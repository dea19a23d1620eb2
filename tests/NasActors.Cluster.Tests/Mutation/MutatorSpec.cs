using Akka.Actor;
using Akka.TestKit.Xunit2;
using NasActors.Cluster.Mutation;
using NasActors.Cluster.Serialization;
using NasActors.Cluster.Specs;
using NasActors.Core.Spaces;
using static NasActors.Cluster.Mutation.MutationProtocol;

namespace NasActors.Cluster.Tests.Mutation;

public sealed class MutatorSpec() : TestKit(NasSerializer.Hocon)
{
    private static ProduceChildren Request(SearchSpec? spec = null) => new("s", spec ?? TestSpecs.Synthetic(), 3,
        ["012345", "543210", "111111"], ["012345", "543210", "111111"], 6, 4, 0.3, 200, 10);

    [Fact]
    public async Task A_retried_request_gives_the_same_children_on_any_mutator()
    {
        var pool = Sys.ActorOf(MutatorActor.Props().WithRouter(new Akka.Routing.RoundRobinPool(3)));
        var answers = new List<ChildrenProduced>();
        for (var i = 0; i < 3; i++) answers.Add(await pool.Ask<ChildrenProduced>(Request()));
        Assert.Equal(10, answers[0].Children.Count);
        Assert.All(answers, a => Assert.Equal(answers[0].Children, a.Children));
    }

    [Fact]
    public void Children_are_new_distinct_and_feasible()
    {
        var spec = SpecReader.ReadText(TestSpecs.SyntheticHocon(extra: "constraints { flops = 2.2e6 }"));
        var setup = SearchSetup.Build(spec);
        var cheap = setup.Constraints.FeasibleSet!.Take(4).Select(a => a.ToString()).ToArray();
        var children = MutatorActor.Produce(Request(spec) with { Parents = cheap, Exclude = cheap });
        Assert.NotEmpty(children);
        Assert.Equal(children.Count, children.Distinct().Count());
        Assert.DoesNotContain(children, cheap.Contains);
        Assert.All(children, c => Assert.True(setup.Constraints.IsSatisfied(Architecture.ParseChoiceString(c))));
    }

    [Fact]
    public void The_children_are_at_most_the_limit_and_those_the_controller_would_produce()
    {
        var limited = MutatorActor.Produce(Request() with { Limit = 7 });
        Assert.Equal(7, limited.Count);
        Assert.Equal(MutatorActor.Produce(Request()).Take(6), limited.Take(6)); // mutation children come first
        var request = Request().ToRequest();
        Assert.Equal(NasActors.Core.Controllers.Evolution.EvolutionOffspring.Produce(request, MutatorActor.ContextFor(TestSpecs.Synthetic()))
            .Select(a => a.ToString()), MutatorActor.Produce(Request()));
    }

    [Fact]
    public void A_request_with_a_malformed_parent_is_answered_with_a_failure_naming_it()
    {
        var pool = Sys.ActorOf(MutatorActor.Props());
        pool.Tell(Request() with { Parents = ["01x345"] });
        var failure = ExpectMsg<Status.Failure>();
        Assert.Contains("01x345", failure.Cause.Message);
    }

    [Fact]
    public void Another_generation_gives_other_children() =>
        Assert.NotEqual(MutatorActor.Produce(Request()), MutatorActor.Produce(Request() with { Generation = 4 }));
}

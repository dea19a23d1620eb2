using NasActors.Cluster.Searches;

namespace NasActors.Cluster.Tests.Searches;

/// <summary>The one rule for search ids: what could name a path or a stream outside its own is refused.</summary>
public sealed class SearchIdsSpec
{
    [Theory]
    [InlineData("../../etc/passwd", "must start with a letter or digit")]
    [InlineData("a/../../b", "holds '/'")]
    [InlineData("/etc/passwd", "must start with a letter or digit")]
    [InlineData("a..b", "holds '..'")]
    [InlineData("a\0b", "holds '\\u0000'")]
    [InlineData("a\\b", "holds '\\'")]
    [InlineData("search 1", "holds ' '")]
    [InlineData("", "is empty")]
    [InlineData("-x", "must start with a letter or digit")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "is 65 characters long (at most 64)")]
    public void Ids_that_could_leave_their_folder_are_refused(string id, string problem)
    {
        Assert.StartsWith(problem, SearchIds.Problem(id));
        Assert.Contains(problem, Assert.Throws<InvalidSearchIdException>(() => SearchIds.Validate(id)).Message);
    }

    [Theory]
    [InlineData("a")]
    [InlineData("quickstart-20261204-101010")]
    [InlineData("rank-study.v2_standalone")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    public void Ordinary_ids_are_accepted(string id) => Assert.Equal(id, SearchIds.Validate(id));
}

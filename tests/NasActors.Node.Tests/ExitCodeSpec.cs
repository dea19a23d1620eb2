using NasActors.Cluster.Hosting;
using NasActors.Cluster.Specs;
using NasActors.Core.Input;
using NasActors.Node.Commands.Input;

namespace NasActors.Node.Tests;

/// <summary>The one mapping from what went wrong to the exit code and the line on standard error.</summary>
public sealed class ExitCodeSpec
{
    private static int CodeOf(Exception e) => ErrorReport.Classify(e, ["status"]).Code;

    [Fact]
    public void A_node_that_does_not_answer_is_exit_code_3() =>
        Assert.Equal(ExitCodes.Unreachable, CodeOf(new ServiceUnreachableException("no answer from a node at 127.0.0.1:1")));

    [Fact]
    public void A_database_that_cannot_be_reached_is_exit_code_3_also_when_wrapped()
    {
        Assert.Equal(ExitCodes.Unreachable, CodeOf(new InvalidOperationException("journal", new Npgsql.NpgsqlException("connection refused"))));
        Assert.Equal(ExitCodes.Unreachable, CodeOf(new AggregateException(new System.Net.Sockets.SocketException(111))));
        Assert.Equal(ExitCodes.Unreachable, CodeOf(new Microsoft.Data.Sqlite.SqliteException("unable to open database file", 14)));
    }

    [Fact]
    public void Bad_input_is_exit_code_2()
    {
        Assert.Equal(ExitCodes.Usage, CodeOf(new SpecException("search.budget", "must be at least 1")));
        Assert.Equal(ExitCodes.Usage, CodeOf(new PathOutsideFolderException("../x", "/data/exports", "the name climbs out of the folder (..)")));
        Assert.Equal(ExitCodes.Usage, CodeOf(new UsageException("--steps 1: the checkpoint is at step 2 already")));
        Assert.Equal(ExitCodes.Usage, CodeOf(new FileNotFoundException("spec.conf")));
    }

    [Fact]
    public void A_command_that_ran_and_failed_is_exit_code_1()
    {
        Assert.Equal(ExitCodes.Failed, CodeOf(new CommandFailedException("no such search: s1")));
        Assert.Equal(ExitCodes.Failed, CodeOf(new InvalidOperationException("the trainer failed")));
        Assert.Equal(ExitCodes.Failed, CodeOf(new IOException("No space left on device")));
    }

    [Fact]
    public void An_interrupted_command_is_exit_code_130() => Assert.Equal(ExitCodes.Interrupted, CodeOf(new OperationCanceledException()));

    [Fact]
    public void An_error_is_one_line_on_standard_error_without_a_stack_trace()
    {
        var error = new StringWriter();
        int code;
        try { throw new InvalidOperationException("the trainer failed"); }
        catch (Exception e) { code = ErrorReport.Write(e, ["train"], error); }
        Assert.Equal(ExitCodes.Failed, code);
        Assert.Equal("nas: the trainer failed" + Environment.NewLine, error.ToString());
    }
}

using Microsoft.Data.Sqlite;

namespace Kivi.Storage.Sqlite;

/// <summary>A read-only connection with its statements prepared once, rented per read from <see cref="ReaderPool"/>.</summary>
internal sealed class ReaderSession : IDisposable
{
    private static readonly string[] ListParameters = ["$ns", "$lo", "$now", "$limit"];
    private static readonly string[] ListWithUpper = ["$ns", "$lo", "$now", "$limit", "$hi"];

    public ReaderSession(string connectionString)
    {
        Connection = new SqliteConnection(connectionString);
        Connection.Open();
        Execute("PRAGMA query_only = 1; PRAGMA busy_timeout = 10000;");
        Get = Prepare(SqliteSql.Get, "$ns", "$key", "$now", "$inline");
        GetInfo = Prepare(SqliteSql.GetInfo, "$ns", "$key", "$now");
        Lists = new SqliteCommand[4];
        for (int shape = 0; shape < 4; shape++)
        {
            bool upper = (shape & 1) != 0;
            Lists[shape] = Prepare(SqliteSql.List(lowerExclusive: shape >= 2, upper), upper ? ListWithUpper : ListParameters);
        }
        ReadChanges = Prepare(SqliteSql.ReadChanges, "$after", "$limit");
        Begin = Prepare(SqliteSql.Begin);
        Commit = Prepare(SqliteSql.Commit);
    }

    public SqliteConnection Connection { get; }
    public SqliteCommand Get { get; }
    public SqliteCommand GetInfo { get; }
    /// <summary>The list statements by shape: [lower bound exclusive * 2 + has an upper bound].</summary>
    public SqliteCommand[] Lists { get; }
    public SqliteCommand ReadChanges { get; }
    public SqliteCommand Begin { get; }
    public SqliteCommand Commit { get; }

    private SqliteCommand Prepare(string sql, params string[] parameters)
    {
        var command = Connection.CreateCommand();
        command.CommandText = sql;
        foreach (var name in parameters) command.Parameters.Add(new SqliteParameter(name, null));
        command.Prepare();
        return command;
    }

    private void Execute(string sql)
    {
        using var command = Connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public void Dispose() => Connection.Dispose();
}

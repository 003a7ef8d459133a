namespace Kivi.Storage.Sqlite;

/// <summary>Holds a reader's snapshot open while a large value streams out, then gives the session back.</summary>
internal sealed class BlobLease(ReaderPool pool, ReaderSession session) : IAsyncDisposable
{
    private int _released;

    public void Release()
    {
        if (Interlocked.Exchange(ref _released, 1) != 0) return;
        try
        {
            session.Commit.ExecuteNonQuery();
            pool.Return(session);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    public ValueTask DisposeAsync()
    {
        Release();
        return ValueTask.CompletedTask;
    }
}

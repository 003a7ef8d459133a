using System.Collections.Concurrent;

namespace Kivi.Storage.Sqlite;

/// <summary>Reusable reader sessions: WAL lets them read in parallel with the writer and with each other.</summary>
internal sealed class ReaderPool(string connectionString, int maxIdle) : IDisposable
{
    private readonly ConcurrentBag<ReaderSession> _idle = [];
    private int _idleCount;
    private bool _disposed;

    public ReaderSession Rent()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_idle.TryTake(out var session))
        {
            Interlocked.Decrement(ref _idleCount);
            return session;
        }
        return new ReaderSession(connectionString);
    }

    public void Return(ReaderSession session)
    {
        if (_disposed || Interlocked.Increment(ref _idleCount) > maxIdle)
        {
            Interlocked.Decrement(ref _idleCount);
            session.Dispose();
            return;
        }
        _idle.Add(session);
    }

    public void Dispose()
    {
        _disposed = true;
        while (_idle.TryTake(out var session)) session.Dispose();
    }
}

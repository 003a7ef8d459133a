using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Kivi.Storage.Sqlite;

/// <summary>fdatasync(2): flushes a file's data (and size), without the inode's times; what SQLite itself uses for its WAL.</summary>
internal static partial class NativeFile
{
    public static void FlushData(SafeFileHandle handle)
    {
        if (!OperatingSystem.IsLinux())
        {
            RandomAccessFlush(handle);
            return;
        }
        if (fdatasync(handle) != 0) throw new IOException($"fdatasync failed with errno {Marshal.GetLastPInvokeError()}.");
    }

    private static void RandomAccessFlush(SafeFileHandle handle)
    {
        using var stream = new FileStream(handle, FileAccess.ReadWrite, bufferSize: 0);
        stream.Flush(flushToDisk: true);
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fdatasync(SafeFileHandle fd);
}

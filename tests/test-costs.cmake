# Test costs for ctest's schedule: the tests that take 3 s or more, with their seconds in a
# `CI=true scripts/test` run on a 2-core machine. ctest -j starts the costliest tests first,
# but a clean clone has no Testing/Temporary/CTestCostData.txt to learn them from: without
# this, a 25 s test may start last and hold up the end of the run alone. Only the order
# changes, not what runs. A name that no longer exists is ignored (a renamed test just loses
# its place); refresh the list from build/Testing/Temporary/CTestCostData.txt (name, runs,
# seconds a line). Included after the gtest_discover_tests scripts of each test directory
# (logship_add_test); the shell tests of tests/kit set their COST where they are added.
set_tests_properties([=[Journal.LinesOfARoundCutByAStopAreCompletedOnceAtTheNextStart]=] PROPERTIES COST 26)
set_tests_properties([=[Remnant.TheRestOfAnInterruptedCopyWrittenLateIsSkippedWherever]=] PROPERTIES COST 22)
set_tests_properties([=[KeysTest.LintAgreesWithSshdOnWhichEntriesLogIn]=] PROPERTIES COST 20)
set_tests_properties([=[PushTest.OutageAndCutConnectionsLoseNothing]=] PROPERTIES COST 18)
set_tests_properties([=[PushTest.AStoppedVaultCatCannotWriteIntoTheResend]=] PROPERTIES COST 25)
set_tests_properties([=[LivenessTest.ASlowButMovingVaultIsNotAStall]=] PROPERTIES COST 11)
set_tests_properties([=[Formats/CrashTest.KillNineDuringCatchUpThenRestart/"framed"]=] PROPERTIES COST 11)
set_tests_properties([=[Formats/CrashTest.KillNineDuringCatchUpThenRestart/"raw"]=] PROPERTIES COST 9)
set_tests_properties([=[WatchPushTest.AStoppedAgentIsASilenceWhileItLastsAndClearedAfter]=] PROPERTIES COST 9)
set_tests_properties([=[PlainAndSerialised/LateRemnantTest.AStoppedCatsLateRemnantLosesNothingAndIsNoFinding/PlainWritten0  # GetParam() = (false, 0)]=] PROPERTIES COST 8)
set_tests_properties([=[PlainAndSerialised/LateRemnantTest.AStoppedCatsLateRemnantLosesNothingAndIsNoFinding/PlainWritten300  # GetParam() = (false, 300)]=] PROPERTIES COST 8)
set_tests_properties([=[PlainAndSerialised/LateRemnantTest.AStoppedCatsLateRemnantLosesNothingAndIsNoFinding/SerialisedWritten0  # GetParam() = (true, 0)]=] PROPERTIES COST 8)
set_tests_properties([=[PlainAndSerialised/LateRemnantTest.AStoppedCatsLateRemnantLosesNothingAndIsNoFinding/SerialisedWritten300  # GetParam() = (true, 300)]=] PROPERTIES COST 8)
set_tests_properties([=[PushTest.KillNineMidStreamThenRestartLosesNothing]=] PROPERTIES COST 7)
set_tests_properties([=[TailModeTest.NoRemoteTailLeftAfterKillOrFrozenLink]=] PROPERTIES COST 7)
set_tests_properties([=[Formats/StopTest.SigtermDuringCatchUpThenRestart/"framed"]=] PROPERTIES COST 7)
set_tests_properties([=[WatchPushTest.EmittedLinesAreTheInputOnceAcrossKillNineOfWatcherAndAgent]=] PROPERTIES COST 16)
set_tests_properties([=[LivenessTest.FrozenPeerStopsAWriteAndAnExitWaitAtTheDeadline]=] PROPERTIES COST 5)
set_tests_properties([=[TailModeTest.MeasuresWhatAReconnectLosesAndRepeats]=] PROPERTIES COST 5)
set_tests_properties([=[Formats/RotationTest.RenameRotationWhileWritingTwoThousandLinesASecond/"raw"]=] PROPERTIES COST 5)
set_tests_properties([=[Formats/RotationTest.RenameRotationWhileWritingTwoThousandLinesASecond/"framed"]=] PROPERTIES COST 5)
set_tests_properties([=[Formats/StopTest.SigtermDuringAStalledRequestExitsAtOnceLosingNothing/"raw"]=] PROPERTIES COST 5)
set_tests_properties([=[Formats/StopTest.SigtermDuringAStalledRequestExitsAtOnceLosingNothing/"framed"]=] PROPERTIES COST 5)
set_tests_properties([=[Tamper.OneAlteredByteAnywhereIsDetected]=] PROPERTIES COST 4)
set_tests_properties([=[PullTest.QuietFileTruncatedAndRewrittenPastTheOffsetIsATruncation]=] PROPERTIES COST 4)
set_tests_properties([=[PullTest.ConnectionCutDuringRotation]=] PROPERTIES COST 4)
set_tests_properties([=[Formats/StopTest.SigtermDuringCatchUpThenRestart/"raw"]=] PROPERTIES COST 4)
set_tests_properties([=[KeysTest.PullKeyFollowsOverSftpAndCannotWrite]=] PROPERTIES COST 4)
set_tests_properties([=[PushTest.ChangedHostKeyIsRefusedSpoolingGoesOnAndDeliveryResumes]=] PROPERTIES COST 12)
set_tests_properties([=[PullTest.CopytruncateReadsTheRestFromTheCopy]=] PROPERTIES COST 3)
set_tests_properties([=[PullTest.MissingAtStartThenCreatedThenDeletedAndRecreated]=] PROPERTIES COST 3)
set_tests_properties([=[PullTest.PathBecomesADanglingSymlinkThenADirectoryThenAFileAgain]=] PROPERTIES COST 3)
set_tests_properties([=[PushTest.FullSpoolDropsTheOldestAndVerifyReportsTheExactCount]=] PROPERTIES COST 12)
set_tests_properties([=[PushTest.TornBatchOnTheVaultIsResentWhole]=] PROPERTIES COST 12)
set_tests_properties([=[PushTest.VaultDiskFullCommitsNothingAndDeliversOnceFixed]=] PROPERTIES COST 12)

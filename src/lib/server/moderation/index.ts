export {
	actOnReport,
	getReportDetail,
	isOperator,
	listReports,
	listSuspendedAccounts,
	setUserRole,
	suspendUser,
	unsuspendUser,
	type ReportAction,
	type ReportDetail,
	type ReportListItem,
	type SuspendedAccount
} from './admin';
export {
	blockUser,
	checkCanRent,
	hasBlocked,
	listBlocks,
	RentalRefusedError,
	unblockUser,
	type BlockedPerson
} from './blocks';
export { CannotReportError, reportMessage, reportUser, type ReportCreated } from './reports';

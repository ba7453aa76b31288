export {
	actOnReport,
	getReportDetail,
	isOperator,
	listReports,
	setUserRole,
	suspendUser,
	type ReportAction,
	type ReportDetail,
	type ReportListItem
} from './admin';
export { blockUser, checkCanRent, hasBlocked, RentalRefusedError, unblockUser } from './blocks';
export { CannotReportError, reportMessage, reportUser, type ReportCreated } from './reports';
